;; f32 GEMM for gradgraph: C += Apacked · Bpacked with a 4×8 register-blocked
;; WebAssembly SIMD micro-kernel.  Assembled at build time by
;; packages/core/scripts/build-wasm.ts into matmulWasm.generated.ts.
;;
;; Layouts (all f32, byte addresses into the imported memory):
;;   packed A: tile t (4 rows) is K·4 floats; step p holds rows 0..3 of column p
;;   packed B: panel j (8 cols) is K·8 floats; step p holds cols 0..7 of row p
;;   C:        row-major, row stride $ldc bytes, (4·tiles) × (8·panels)
;; The JS side zero-pads partial tiles/panels, so the kernel never needs edge cases.
;;
;; Why 4×8 and no k-unrolling: V8 (TurboFan) schedules every load of a loop body
;; ahead of the arithmetic, so each broadcast A value occupies its own register.
;; x64 V8 allocates 15 xmm registers: 8 accumulators + 2 B vectors + 4 broadcasts
;; + 1 product temporary = 15 fits exactly.  5×8, 6×8 or an unrolled body spill to
;; the stack inside the loop and measured 30–40% slower.
;; The memory is shared so a worker thread can run the same module on it.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Packing.  The JS side memcpys the caller's operand into this memory
  ;; (TypedArray.set) and packs here: ~10× faster than packing element by element
  ;; in JS, and both threads can pack their own share in parallel.
  ;; A panel is $w lanes wide (4 for A tiles, 8 for B panels) and $depth steps
  ;; deep; panel j occupies $depth·$w floats from $dst + j·$depth·$w·4.
  ;; Lanes past $count are written as zeros.

  ;; Source lanes are adjacent: panel j, step p, lane c <- $src[p·$ld + j·$w + c].
  ;; Used for B (k×n) and for A stored transposed (k×m).
  (func (export "pack_rows")
      (param $src i32) (param $ld i32) (param $depth i32) (param $count i32) (param $w i32)
      (param $j0 i32) (param $j1 i32) (param $dst i32)
    (local $j i32) (local $p i32) (local $c i32) (local $s i32) (local $d i32)
    (local $lanes i32)
    (local.set $j (local.get $j0))
    (block $jDone (loop $panels
      (br_if $jDone (i32.ge_u (local.get $j) (local.get $j1)))
      (local.set $lanes (i32.sub (local.get $count) (i32.mul (local.get $j) (local.get $w))))
      (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $j) (local.get $w)) (i32.const 2))))
      (local.set $d (i32.add (local.get $dst)
        (i32.shl (i32.mul (i32.mul (local.get $j) (local.get $depth)) (local.get $w)) (i32.const 2))))
      (local.set $p (i32.const 0))
      (block $pDone (loop $steps
        (br_if $pDone (i32.ge_u (local.get $p) (local.get $depth)))
        (if (i32.ge_s (local.get $lanes) (local.get $w))
          (then
            (v128.store (local.get $d) (v128.load (local.get $s)))
            (if (i32.eq (local.get $w) (i32.const 8))
              (then (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $s))))))
          (else
            (local.set $c (i32.const 0))
            (block $cDone (loop $lane
              (br_if $cDone (i32.ge_u (local.get $c) (local.get $w)))
              (f32.store (i32.add (local.get $d) (i32.shl (local.get $c) (i32.const 2)))
                (if (result f32) (i32.lt_s (local.get $c) (local.get $lanes))
                  (then (f32.load (i32.add (local.get $s) (i32.shl (local.get $c) (i32.const 2)))))
                  (else (f32.const 0))))
              (local.set $c (i32.add (local.get $c) (i32.const 1)))
              (br $lane)))))
        (local.set $s (i32.add (local.get $s) (i32.shl (local.get $ld) (i32.const 2))))
        (local.set $d (i32.add (local.get $d) (i32.shl (local.get $w) (i32.const 2))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $steps)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $panels))))

  ;; Source steps are adjacent: panel j, step p, lane c <- $src[(j·$w + c)·$ld + p].
  ;; Used for A (m×k) and for B stored transposed (n×k).  Reads stream along
  ;; each source row; the strided writes land in a panel small enough for L1.
  (func (export "pack_cols")
      (param $src i32) (param $ld i32) (param $depth i32) (param $count i32) (param $w i32)
      (param $j0 i32) (param $j1 i32) (param $dst i32)
    (local $j i32) (local $c i32) (local $line i32) (local $s i32) (local $d i32) (local $end i32)
    (local $dStep i32)
    (local.set $dStep (i32.shl (local.get $w) (i32.const 2)))
    (local.set $j (local.get $j0))
    (block $jDone (loop $panels
      (br_if $jDone (i32.ge_u (local.get $j) (local.get $j1)))
      (local.set $c (i32.const 0))
      (block $cDone (loop $lanes
        (br_if $cDone (i32.ge_u (local.get $c) (local.get $w)))
        (local.set $line (i32.add (i32.mul (local.get $j) (local.get $w)) (local.get $c)))
        (local.set $d (i32.add (local.get $dst)
          (i32.shl (i32.add (i32.mul (i32.mul (local.get $j) (local.get $depth)) (local.get $w)) (local.get $c))
                   (i32.const 2))))
        (local.set $end (i32.add (local.get $d) (i32.mul (local.get $depth) (local.get $dStep))))
        (if (i32.lt_u (local.get $line) (local.get $count))
          (then
            (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (local.get $line) (local.get $ld)) (i32.const 2))))
            (loop $copy
              (f32.store (local.get $d) (f32.load (local.get $s)))
              (local.set $s (i32.add (local.get $s) (i32.const 4)))
              (br_if $copy (i32.lt_u (local.tee $d (i32.add (local.get $d) (local.get $dStep))) (local.get $end)))))
          (else
            (loop $zero
              (f32.store (local.get $d) (f32.const 0))
              (br_if $zero (i32.lt_u (local.tee $d (i32.add (local.get $d) (local.get $dStep))) (local.get $end))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $lanes)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $panels))))

  ;; One 4×8 tile of C over kc steps.  kc >= 1.  When $accumulate is 0 the tile
  ;; is overwritten (first k-block), otherwise the partial sums in C are continued.
  (func $kernel4x8
      (param $a i32) (param $b i32) (param $c i32) (param $ldc i32)
      (param $kc i32) (param $accumulate i32)
    (local $c00 v128) (local $c01 v128)
    (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128)
    (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $row i32)

    (if (local.get $accumulate) (then
      (local.set $row (local.get $c))
      (local.set $c00 (v128.load offset=0 (local.get $row)))
      (local.set $c01 (v128.load offset=16 (local.get $row)))
      (local.set $row (i32.add (local.get $row) (local.get $ldc)))
      (local.set $c10 (v128.load offset=0 (local.get $row)))
      (local.set $c11 (v128.load offset=16 (local.get $row)))
      (local.set $row (i32.add (local.get $row) (local.get $ldc)))
      (local.set $c20 (v128.load offset=0 (local.get $row)))
      (local.set $c21 (v128.load offset=16 (local.get $row)))
      (local.set $row (i32.add (local.get $row) (local.get $ldc)))
      (local.set $c30 (v128.load offset=0 (local.get $row)))
      (local.set $c31 (v128.load offset=16 (local.get $row)))))

    ;; Per step: one row of the B panel (2 vectors), each A value broadcast
    ;; and multiplied into its row of accumulators (an outer-product update).
    ;; No FMA: relaxed-simd is behind a flag in Node 20, so mul + add it is.
    (loop $k
      (local.set $b0 (v128.load offset=0 (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $a0 (v128.load32_splat offset=0 (local.get $a)))
      (local.set $a1 (v128.load32_splat offset=4 (local.get $a)))
      (local.set $a2 (v128.load32_splat offset=8 (local.get $a)))
      (local.set $a3 (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 32)))
      (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))

    (local.set $row (local.get $c))
    (v128.store offset=0 (local.get $row) (local.get $c00))
    (v128.store offset=16 (local.get $row) (local.get $c01))
    (local.set $row (i32.add (local.get $row) (local.get $ldc)))
    (v128.store offset=0 (local.get $row) (local.get $c10))
    (v128.store offset=16 (local.get $row) (local.get $c11))
    (local.set $row (i32.add (local.get $row) (local.get $ldc)))
    (v128.store offset=0 (local.get $row) (local.get $c20))
    (v128.store offset=16 (local.get $row) (local.get $c21))
    (local.set $row (i32.add (local.get $row) (local.get $ldc)))
    (v128.store offset=0 (local.get $row) (local.get $c30))
    (v128.store offset=16 (local.get $row) (local.get $c31)))

  ;; C tiles [$t0, $t1) × panels [$j0, $j1) = packed A · packed B over depth $k.
  ;; Blocked so the working set stays in cache: a k-block of one A tile
  ;; (4·$kcMax floats) sits in L1 while it sweeps a block of $ncMax B panels
  ;; ($kcMax·8·$ncMax floats) that sits in L2.  Thread split is by tile range.
  (func (export "gemm")
      (param $ap i32) (param $bp i32) (param $cp i32) (param $ldc i32) (param $k i32)
      (param $t0 i32) (param $t1 i32) (param $j0 i32) (param $j1 i32)
      (param $kcMax i32) (param $ncMax i32)
    (local $p0 i32) (local $kc i32) (local $jb i32) (local $jbEnd i32)
    (local $t i32) (local $j i32)
    (block $kDone (loop $kBlocks
      (br_if $kDone (i32.ge_u (local.get $p0) (local.get $k)))
      (local.set $kc (i32.sub (local.get $k) (local.get $p0)))
      (if (i32.gt_u (local.get $kc) (local.get $kcMax))
        (then (local.set $kc (local.get $kcMax))))
      (local.set $jb (local.get $j0))
      (block $nDone (loop $nBlocks
        (br_if $nDone (i32.ge_u (local.get $jb) (local.get $j1)))
        (local.set $jbEnd (i32.add (local.get $jb) (local.get $ncMax)))
        (if (i32.gt_u (local.get $jbEnd) (local.get $j1))
          (then (local.set $jbEnd (local.get $j1))))
        (local.set $t (local.get $t0))
        (block $tDone (loop $tiles
          (br_if $tDone (i32.ge_u (local.get $t) (local.get $t1)))
          (local.set $j (local.get $jb))
          (block $jDone (loop $panels
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $jbEnd)))
            (call $kernel4x8
              ;; A tile t, step p0: ap + (t·K + p0)·4 floats
              (i32.add (local.get $ap)
                (i32.shl (i32.add (i32.mul (local.get $t) (local.get $k)) (local.get $p0)) (i32.const 4)))
              ;; B panel j, step p0: bp + (j·K + p0)·8 floats
              (i32.add (local.get $bp)
                (i32.shl (i32.add (i32.mul (local.get $j) (local.get $k)) (local.get $p0)) (i32.const 5)))
              ;; C row 4t, column 8j
              (i32.add (local.get $cp)
                (i32.add (i32.mul (i32.shl (local.get $t) (i32.const 2)) (local.get $ldc))
                         (i32.shl (local.get $j) (i32.const 5))))
              (local.get $ldc) (local.get $kc) (local.get $p0))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $panels)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $tiles)))
        (local.set $jb (local.get $jbEnd))
        (br $nBlocks)))
      (local.set $p0 (i32.add (local.get $p0) (local.get $kc)))
      (br $kBlocks))))
)
