// Dev time only: writes src/proto/onnx_pb.ts (committed) from proto/onnx.proto, the ONNX
// project's proto2 schema copied unchanged from onnx/onnx (onnx/onnx.proto; Apache-2.0).
// buf and protoc-gen-es are the workspace's dev dependencies; the package itself needs only the
// @bufbuild/protobuf runtime.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(packageDir, "..", "..", "node_modules", ".bin", name);
execFileSync(bin("buf"), ["generate"], {
  cwd: packageDir,
  stdio: "inherit",
  // buf finds the plugin on PATH.
  env: { ...process.env, PATH: `${dirname(bin("protoc-gen-es"))}:${process.env.PATH}` },
});
