#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into OUT/<target>/ (not committed: regenerated
from the repository's sample and fixture files, plus a few inputs made here).

    python3 Fuzz/seeds.py OUT

Files larger than the target's -max_len (given by Tools/fuzz.sh) are left out: libFuzzer would
only read their first max_len bytes, which for a protobuf or a ZIP is mostly a broken file.
Standard library only.
"""
import glob
import io
import os
import struct
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_LEN = {"onnx": 65536, "npy": 16384, "npz": 65536, "config": 8192, "multipart": 8192, "window-id": 512}


def npy(descr, shape, payload, fortran=False, version=1):
    """The bytes of an .npy file with this header and payload."""
    shape_text = "(%s)" % ("%d," % shape[0] if len(shape) == 1 else ", ".join(str(s) for s in shape))
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    encoded = header.encode("utf-8" if version == 3 else "latin-1")
    length = struct.pack("<H", len(encoded)) if version == 1 else struct.pack("<I", len(encoded))
    return b"\x93NUMPY" + bytes([version, 0]) + length + encoded + payload


def made_npy():
    count = 6
    yield "f4-2x3", npy("<f4", (2, 3), struct.pack("<6f", 1, -2, 3.5, float("inf"), float("nan"), 0))
    yield "f8-be-fortran", npy(">f8", (3, 2), struct.pack(">6d", 1, 2, 3, 4, 5, 6), fortran=True)
    yield "f4-whole", npy("<f4", (3,), struct.pack("<3f", 1, 2, 1e30))
    for code, size, fmt in [("i1", 1, "b"), ("i2", 2, "h"), ("i4", 4, "i"), ("i8", 8, "q"),
                            ("u1", 1, "B"), ("u2", 2, "H"), ("u4", 4, "I"), ("u8", 8, "Q")]:
        yield "%s-le" % code, npy("<" + code, (count,), struct.pack("<%d%s" % (count, fmt), *range(count)))
        yield "%s-be" % code, npy(">" + code, (2, 3), struct.pack(">%d%s" % (count, fmt), *range(count)), fortran=True)
    yield "bool", npy("|b1", (4,), bytes([0, 1, 1, 0]))
    yield "scalar", npy("<f8", (), struct.pack("<d", 42))
    yield "empty", npy("<f4", (0, 3), b"")
    yield "v2", npy("<i8", (2,), struct.pack("<2q", -1, 2 ** 62), version=2)
    yield "v3-utf8", npy("<f4", (1, 1, 1), struct.pack("<f", 0.5), version=3)
    for path in sorted(glob.glob(os.path.join(ROOT, "Samples/images/*.npy")))[:2]:
        yield os.path.basename(path)[:-4], open(path, "rb").read()


def npz(members, compression):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def npz_members(path):
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            yield name, archive.read(name)


def main():
    out = sys.argv[1]
    seeds = {target: [] for target in MAX_LEN}

    def add(target, name, data):
        if len(data) <= MAX_LEN[target]:
            seeds[target].append((name, data))

    # ONNX: the one-operator graphs, the malformed models and the small exported ones. The slowest
    # exported models are left out, as each execution of them (and of their mutants) costs 50 to
    # 500 times a small graph's in the ASan debug build CI fuzzes: the recurrent ones (conv_gru*,
    # conv_lstm*: 0.1-0.2 s each with the fused layer; 20 s when unrolled) and the STFT mel CNN
    # (1.4 s: its 201-bin x 400-tap basis); the single GRU/LSTM, STFT and DFT nodes of ops/ seed
    # those handlers.
    for pattern in ["Tests/ONNXTests/Fixtures/ops/*.onnx", "Tests/ONNXTests/Fixtures/malformed/*.onnx",
                    "Tests/ONNXTests/Fixtures/models/*.onnx", "Samples/models/*.onnx"]:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
            if os.path.basename(path).startswith(("conv_gru", "conv_lstm", "stft_mel_cnn")):
                continue
            add("onnx", os.path.basename(path), open(path, "rb").read())

    # npy: made here, and the members of the repository's small .npz files.
    made = list(made_npy())
    for name, data in made:
        add("npy", name + ".npy", data)
    npz_files = [p for p in sorted(glob.glob(os.path.join(ROOT, "Tests/*/Fixtures/**/*.npz"), recursive=True))
                 if os.path.getsize(p) <= 2 * MAX_LEN["npz"]]
    for path in npz_files:
        for member, data in list(npz_members(path))[:4]:
            add("npy", "%s-%s" % (os.path.basename(path), member.replace("/", "_")), data)

    # npz: stored and deflated archives of the made arrays, and the small fixtures.
    small = [(name + ".npy", data) for name, data in made if len(data) < 512]
    add("npz", "stored.npz", npz(small[:6], zipfile.ZIP_STORED))
    add("npz", "deflated.npz", npz(small[6:12], zipfile.ZIP_DEFLATED))
    add("npz", "one.npz", npz(small[:1], zipfile.ZIP_STORED))
    add("npz", "folder-and-odd-name.npz", npz([("dir/", b""), ("noext", small[0][1])], zipfile.ZIP_STORED))
    for path in npz_files:
        add("npz", os.path.basename(path), open(path, "rb").read())

    # Configuration: the shipped file, a small one, and one with --set overrides after a NUL.
    shipped = open(os.path.join(ROOT, "Systemd/wamd.toml"), "rb").read()
    add("config", "wamd.toml", shipped)
    minimal = (b'[source]\ninput = "file:/tmp/a.wav"\nrate = 16000\n[model]\npath = "m.onnx"\n'
               b'[output]\ndir = "/tmp/out"\n[gates]\nclasses = ["yes", "no"]\nmin_probability = 0.5\n'
               b'[explain]\nsteps = "auto"\n[http]\nenabled = true\nbind = "::1"\ntoken = "0123456789abcdef"\n')
    add("config", "minimal.toml", minimal)
    add("config", "overrides.toml", minimal + b"\0explain.steps=12\nhttp.bind=\"10.0.0.1\"\nwindows.hop=5\nexplain.method=intgrad")

    # Multipart: Content-Type, a line feed, then the body.
    def form(boundary, parts, quoted=False):
        body = b""
        for headers, data in parts:
            body += b"--" + boundary + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + data + b"\r\n"
        body += b"--" + boundary + b"--\r\n"
        value = b'"' + boundary + b'"' if quoted else boundary
        return b"multipart/form-data; boundary=" + value + b"\n" + body
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt "
    add("multipart", "curl.txt", form(b"------------------------d74496d66958873e",
        [([b'Content-Disposition: form-data; name="file"; filename="a.wav"', b"Content-Type: audio/wav"], wav)]))
    add("multipart", "two-parts.txt", form(b"wam-test-boundary",
        [([b'Content-Disposition: form-data; name="note"'], b"hello"),
         ([b'Content-Disposition: form-data; name="upload"; filename=x.wav'], wav)], quoted=True))
    add("multipart", "no-file.txt", form(b"b", [([b'Content-Disposition: form-data; name="a"'], b"1")]))

    # Window ids and document paths.
    for name, text in [("id", "file-a.wav~2025-01-31~120000.000_yes_0.90"),
                       ("document", "file-a.wav/2025-01-31/120000.000_yes_0.90.json"),
                       ("alsa", "alsa_default~2024-12-01~235959.999_dog_bark_0.51"),
                       ("dotted", "..~2025-01-31~x"), ("slash", "a/b~2025-01-31~c")]:
        add("window-id", name + ".txt", text.encode())

    for target, files in seeds.items():
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in files:
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(data)
        print("seeds: %-10s %3d files" % (target, len(files)))


if __name__ == "__main__":
    main()
