#!/usr/bin/env bash
# Regenerates Sources/ONNX/Generated/onnx.pb.swift from onnx.proto (the one shipped in the onnx
# wheel pinned in Tools/requirements.txt) with protoc + protoc-gen-swift 1.39.0, the swift-protobuf
# version Package.swift depends on. Run it only when moving to a new onnx or swift-protobuf.
#
#   bash Tools/make_onnx_swift.sh                 # onnx.proto from the python in $PYTHON (or python3)
#   ONNX_PROTO=/path/onnx.proto bash Tools/make_onnx_swift.sh
#
# Needs protoc (Debian protobuf-compiler), git and swift. Uses a temporary folder; the only file
# it writes in the repository is the generated Swift file.
set -euo pipefail

SWIFT_PROTOBUF_VERSION=1.39.0
SWIFT_PROTOBUF_URL=${SWIFT_PROTOBUF_URL:-https://github.com/apple/swift-protobuf.git}
repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/Sources/ONNX/Generated"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v protoc >/dev/null || { echo "make_onnx_swift: protoc missing (apt-get install protobuf-compiler)" >&2; exit 1; }

if [[ -z "${ONNX_PROTO:-}" ]]; then
  python=${PYTHON:-python3}
  ONNX_PROTO=$("$python" -c 'import os, onnx; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))') || {
    echo "make_onnx_swift: no onnx package for $python; pip install onnx (see Tools/requirements.txt) or set ONNX_PROTO" >&2
    exit 1
  }
fi
[[ -f "$ONNX_PROTO" ]] || { echo "make_onnx_swift: $ONNX_PROTO does not exist" >&2; exit 1; }

echo "make_onnx_swift: building protoc-gen-swift $SWIFT_PROTOBUF_VERSION"
git -c advice.detachedHead=false clone --quiet --depth 1 --branch "$SWIFT_PROTOBUF_VERSION" "$SWIFT_PROTOBUF_URL" "$work/swift-protobuf"
swift build --package-path "$work/swift-protobuf" -c release --product protoc-gen-swift >/dev/null
plugin="$work/swift-protobuf/.build/release/protoc-gen-swift"

mkdir -p "$work/proto" "$out"
cp "$ONNX_PROTO" "$work/proto/onnx.proto"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$work/proto" \
  --swift_opt=Visibility=Internal --swift_out="$out" "$work/proto/onnx.proto"
echo "make_onnx_swift: wrote $out/onnx.pb.swift ($(wc -c <"$out/onnx.pb.swift") bytes) from $ONNX_PROTO"
