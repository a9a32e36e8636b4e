"""Unpacks MKL's static archives and headers from its PyPI wheels.

Usage: unpack.py WHEEL_DIR DEST
DEST gets lib/ (the archives CTranslate2 links: ILP64 interface, core, GNU OpenMP threading) and
include/ (mkl*.h). .cargo/config.toml points MKLROOT at DEST.

The threading layer is MKL's GNU OpenMP one, saved under the name of the sequential layer:
ct2rs finds MKL through intel-mkl-tool, which links either Intel OpenMP or the sequential layer.
Intel OpenMP beside llama.cpp's GNU OpenMP in one process gives two runtimes whose omp_* calls
cross (Whisper then transcribed garbage); the sequential layer runs one thread. Under the
sequential name, MKL's GNU layer shares the one libgomp with llama.cpp and uses every thread.
"""

import pathlib
import sys
import zipfile

# Archive in the wheel -> name in DEST/lib.
ARCHIVES = {
    "libmkl_core.a": "libmkl_core.a",
    "libmkl_intel_ilp64.a": "libmkl_intel_ilp64.a",
    "libmkl_gnu_thread.a": "libmkl_sequential.a",
}


def main() -> None:
    wheels, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.infolist():
                parts = pathlib.PurePosixPath(member.filename).parts
                # Wheel data files live under <name>.data/data/{lib,include}/...
                if len(parts) < 4 or parts[1] != "data" or member.is_dir():
                    continue
                kind, rest = parts[2], parts[3:]
                if kind == "lib" and len(rest) == 1 and rest[0] in ARCHIVES:
                    target = dest / "lib" / ARCHIVES[rest[0]]
                elif kind == "include" and rest[-1].startswith("mkl") and rest[-1].endswith(".h"):
                    target = dest.joinpath(kind, *rest)
                else:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, open(target, "wb") as out:
                    while chunk := source.read(1 << 20):
                        out.write(chunk)
    missing = [name for name in ARCHIVES.values() if not (dest / "lib" / name).is_file()]
    if missing or not (dest / "include" / "mkl.h").is_file():
        sys.exit(f"unpacking Intel MKL failed: missing {missing or ['include/mkl.h']}")


if __name__ == "__main__":
    main()
