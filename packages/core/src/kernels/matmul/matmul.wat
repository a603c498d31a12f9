;; f32 GEMM for gradgraph: C = op(A)·op(B) (or C_old + op(A)·op(B)) with a 4×8
;; register-blocked WebAssembly SIMD micro-kernel.  Assembled at build time by
;; packages/core/scripts/build-wasm.ts into matmulWasm.generated.ts.
;;
;; Operands (all f32, byte addresses into the imported memory) are read through
;; strides, so one kernel reads packed panels and raw operands alike:
;;   op(A) tile t (4 rows), step p, row r at  ap + t·aTile + p·aStep + r·aRow
;;   op(B) panel j (8 cols), step p          at  bp + j·bPanel + p·bStep (8 floats)
;;   packed A: aTile = 16K, aStep = 16, aRow = 4    raw A (m×k): aTile = 16K, aStep = 4, aRow = 4K
;;   raw Aᵀ (stored k×m): aTile = 16, aStep = 4m, aRow = 4
;;   packed B: bPanel = 32K, bStep = 32             raw B (k×n): bPanel = 32, bStep = 4n
;;   C:        row-major, row stride $ldc bytes, (4·tiles) × (8·panels)
;; Rows past m and columns past n are computed from whatever lies there (zeros in
;; packed panels, neighbouring data in raw operands) and never copied out: SIMD
;; lanes are independent, so they cannot change the real ones.
;; Every output element is the float32 sum over p = 0, 1, …, K−1 of a·b, from +0,
;; in that order, whatever the strides, the blocking or the thread split.
;;
;; Why 4×8 and no k-unrolling: V8 (TurboFan) schedules every load of a loop body
;; ahead of the arithmetic, so each broadcast A value occupies its own register.
;; x64 V8 allocates 15 xmm registers: 8 accumulators + 2 B vectors + 4 broadcasts
;; + 1 product temporary = 15 fits exactly.  5×8, 6×8 or an unrolled body spill to
;; the stack inside the loop and measured 30–40% slower.
;; The memory is shared so a worker thread can run the same module on it.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Strides of the current gemm call, set by it for the micro-kernels: with them
  ;; as globals the kernels take 6 parameters, all passed in registers by V8 on
  ;; x64 (more go on the stack; measured 2–3% at 256³).  Globals are per instance,
  ;; so each thread has its own.
  (global $aStep (mut i32) (i32.const 0))
  (global $aRow (mut i32) (i32.const 0))
  (global $bStep (mut i32) (i32.const 0))
  (global $ldc (mut i32) (i32.const 0))

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

  ;; Copies $rows rows of $cols floats from row stride $srcLd to row stride $dstLd
  ;; (strides in floats).  In place is fine: rows move in the order that never
  ;; overwrites a row before it is read, and memory.copy is a memmove within a row.
  (func (export "restride")
      (param $src i32) (param $srcLd i32) (param $dst i32) (param $dstLd i32)
      (param $rows i32) (param $cols i32)
    (local $i i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    (if (i32.gt_u (local.get $dstLd) (local.get $srcLd))
      (then
        ;; Widening: last row first.
        (local.set $i (local.get $rows))
        (block $done (loop $row
          (br_if $done (i32.eqz (local.get $i)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (memory.copy
            (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $i) (local.get $dstLd)) (i32.const 2)))
            (i32.add (local.get $src) (i32.shl (i32.mul (local.get $i) (local.get $srcLd)) (i32.const 2)))
            (local.get $bytes))
          (br $row))))
      (else
        (block $done (loop $row
          (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
          (memory.copy
            (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $i) (local.get $dstLd)) (i32.const 2)))
            (i32.add (local.get $src) (i32.shl (i32.mul (local.get $i) (local.get $srcLd)) (i32.const 2)))
            (local.get $bytes))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $row))))))

  ;; 1 if the $bytes bytes at $x and $y are bit for bit the same (a multiple of 4),
  ;; else 0.  The packed-operand cache uses it to see that an operand is unchanged.
  (func (export "same") (param $x i32) (param $y i32) (param $bytes i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.and (local.get $bytes) (i32.const -16))))
    (block $diff
      (block $vecDone (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $x) (local.get $end)))
        (br_if $diff (v128.any_true (v128.xor (v128.load (local.get $x)) (v128.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $vec)))
      (local.set $end (i32.add (local.get $end) (i32.and (local.get $bytes) (i32.const 15))))
      (block $tailDone (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $x) (local.get $end)))
        (br_if $diff (i32.ne (i32.load (local.get $x)) (i32.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $tail)))
      (return (i32.const 1)))
    (i32.const 0))

  ;; One 4×8 tile of C over kc steps (kc >= 1), for A rows 4 bytes apart (packed A,
  ;; or raw Aᵀ): op(A)[r, p] at $a + p·$aStep + 4r (immediate offsets; $aRow unused).
  ;; op(B)[p, 0..7] at $b + p·$bStep.
  ;; $load = 0: the sums start from zero (first k-block); otherwise the partial sums
  ;; the previous k-block stored in C are continued (a float32 store and reload
  ;; changes nothing, so k-blocking keeps the order of the sum).
  ;; $old != 0 (last k-block of an accumulating call): the finished sums T are added
  ;; once to the tile at $old (same row stride): C = C_old + T, one rounding, the
  ;; same bits as computing T and adding it separately.
  (func $kernel4x8
      (param $a i32) (param $b i32) (param $c i32) (param $kc i32)
      (param $load i32) (param $old i32)
    (local $c00 v128) (local $c01 v128)
    (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128)
    (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $row i32) (local $aStep i32) (local $bStep i32) (local $ldc i32)
    (local.set $aStep (global.get $aStep))
    (local.set $bStep (global.get $bStep))
    (local.set $ldc (global.get $ldc))

    (if (local.get $load) (then
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
      (local.set $a (i32.add (local.get $a) (local.get $aStep)))
      (local.set $b (i32.add (local.get $b) (local.get $bStep)))
      (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))

    (if (local.get $old) (then
      (local.set $row (local.get $old))
      (local.set $c00 (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c00)))
      (local.set $c01 (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c01)))
      (local.set $row (i32.add (local.get $row) (local.get $ldc)))
      (local.set $c10 (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c10)))
      (local.set $c11 (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c11)))
      (local.set $row (i32.add (local.get $row) (local.get $ldc)))
      (local.set $c20 (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c20)))
      (local.set $c21 (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c21)))
      (local.set $row (i32.add (local.get $row) (local.get $ldc)))
      (local.set $c30 (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c30)))
      (local.set $c31 (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c31)))))

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

;; The same tile for A rows $aRow bytes apart (raw row-major A): only the four
  ;; broadcast loads differ.  Kept as a second function because the shared one with
  ;; register offsets measured ~15% slower on packed panels.
  (func $kernel4x8s
      (param $a i32) (param $b i32) (param $c i32) (param $kc i32)
      (param $load i32) (param $old i32)
    (local $c00 v128) (local $c01 v128)
    (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128)
    (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $row i32) (local $aStep i32) (local $bStep i32) (local $ldc i32)
    (local $aRow i32) (local $aRow2 i32) (local $aRow3 i32)
    (local.set $aStep (global.get $aStep))
    (local.set $bStep (global.get $bStep))
    (local.set $ldc (global.get $ldc))
    (local.set $aRow (global.get $aRow))

    (if (local.get $load) (then
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

    (local.set $aRow2 (i32.shl (local.get $aRow) (i32.const 1)))
    (local.set $aRow3 (i32.add (local.get $aRow2) (local.get $aRow)))
    ;; Per step: one row of the B panel (2 vectors), each A value broadcast
    ;; and multiplied into its row of accumulators (an outer-product update).
    ;; No FMA: relaxed-simd is behind a flag in Node 20, so mul + add it is.
    (loop $k
      (local.set $b0 (v128.load offset=0 (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $a0 (v128.load32_splat (local.get $a)))
      (local.set $a1 (v128.load32_splat (i32.add (local.get $a) (local.get $aRow))))
      (local.set $a2 (v128.load32_splat (i32.add (local.get $a) (local.get $aRow2))))
      (local.set $a3 (v128.load32_splat (i32.add (local.get $a) (local.get $aRow3))))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (local.get $aStep)))
      (local.set $b (i32.add (local.get $b) (local.get $bStep)))
      (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))

    (if (local.get $old) (then
      (local.set $row (local.get $old))
      (local.set $c00 (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c00)))
      (local.set $c01 (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c01)))
      (local.set $row (i32.add (local.get $row) (local.get $ldc)))
      (local.set $c10 (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c10)))
      (local.set $c11 (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c11)))
      (local.set $row (i32.add (local.get $row) (local.get $ldc)))
      (local.set $c20 (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c20)))
      (local.set $c21 (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c21)))
      (local.set $row (i32.add (local.get $row) (local.get $ldc)))
      (local.set $c30 (f32x4.add (v128.load offset=0 (local.get $row)) (local.get $c30)))
      (local.set $c31 (f32x4.add (v128.load offset=16 (local.get $row)) (local.get $c31)))))

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

;; C tiles [$t0, $t1) × panels [$j0, $j1) = op(A) · op(B) over depth $k, with the
  ;; strides of the header.  Blocked so the working set stays in cache: a k-block of
  ;; one A tile (4·$kcMax floats) sits in L1 while it sweeps a block of $ncMax B
  ;; panels ($kcMax·8·$ncMax floats) that sits in L2.  Each C tile is written by one
  ;; call only, so a thread split by tile or by panel range gives the same bits.
  ;; $oldp != 0: accumulate, C = C_old + op(A)·op(B) with C_old read from $oldp in the
  ;; layout of C (a region apart from $cp, which holds partial sums between k-blocks).
  (func (export "gemm")
      (param $ap i32) (param $aTile i32) (param $aStep i32) (param $aRow i32)
      (param $bp i32) (param $bPanel i32) (param $bStep i32)
      (param $cp i32) (param $ldc i32) (param $k i32)
      (param $t0 i32) (param $t1 i32) (param $j0 i32) (param $j1 i32)
      (param $kcMax i32) (param $ncMax i32) (param $oldp i32)
    (local $p0 i32) (local $kc i32) (local $jb i32) (local $jbEnd i32)
    (local $t i32) (local $j i32) (local $cAddr i32) (local $old i32)
    (local $aAddr i32) (local $bAddr i32)
    (global.set $aStep (local.get $aStep))
    (global.set $aRow (local.get $aRow))
    (global.set $bStep (local.get $bStep))
    (global.set $ldc (local.get $ldc))
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
          ;; A tile t, step p0
          (local.set $aAddr (i32.add (local.get $ap)
            (i32.add (i32.mul (local.get $t) (local.get $aTile)) (i32.mul (local.get $p0) (local.get $aStep)))))
          (local.set $j (local.get $jb))
          (block $jDone (loop $panels
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $jbEnd)))
            ;; B panel j, step p0; C row 4t, column 8j
            (local.set $bAddr (i32.add (local.get $bp)
              (i32.add (i32.mul (local.get $j) (local.get $bPanel)) (i32.mul (local.get $p0) (local.get $bStep)))))
            (local.set $cAddr (i32.add (local.get $cp)
              (i32.add (i32.mul (i32.shl (local.get $t) (i32.const 2)) (local.get $ldc))
                       (i32.shl (local.get $j) (i32.const 5)))))
            (local.set $old (i32.const 0))
            (if (i32.and (i32.ne (local.get $oldp) (i32.const 0))
                         (i32.eq (i32.add (local.get $p0) (local.get $kc)) (local.get $k)))
              (then (local.set $old
                (i32.add (local.get $oldp) (i32.sub (local.get $cAddr) (local.get $cp))))))
            (if (i32.eq (local.get $aRow) (i32.const 4))
              (then (call $kernel4x8 (local.get $aAddr) (local.get $bAddr) (local.get $cAddr)
                (local.get $kc) (local.get $p0) (local.get $old)))
              (else (call $kernel4x8s (local.get $aAddr) (local.get $bAddr) (local.get $cAddr)
                (local.get $kc) (local.get $p0) (local.get $old))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $panels)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $tiles)))
        (local.set $jb (local.get $jbEnd))
        (br $nBlocks)))
      (local.set $p0 (i32.add (local.get $p0) (local.get $kc)))
      (br $kBlocks))))
)
