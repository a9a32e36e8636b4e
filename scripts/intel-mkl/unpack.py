"""Unpacks the static MKL and Intel OpenMP archives and MKL's headers from their PyPI wheels.

Usage: unpack.py WHEEL_DIR DEST
DEST gets lib/ (the four archives CTranslate2 links: ILP64 interface, Intel threading, core,
and Intel OpenMP) and include/ (mkl*.h). .cargo/config.toml points MKLROOT and INTELROOT at DEST.
"""

import pathlib
import sys
import zipfile

ARCHIVES = {"libmkl_core.a", "libmkl_intel_ilp64.a", "libmkl_intel_thread.a", "libiomp5.a"}


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
                wanted = (kind == "lib" and len(rest) == 1 and rest[0] in ARCHIVES) or (
                    kind == "include" and rest[-1].startswith("mkl") and rest[-1].endswith(".h")
                )
                if wanted:
                    target = dest.joinpath(kind, *rest)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(member) as source, open(target, "wb") as out:
                        while chunk := source.read(1 << 20):
                            out.write(chunk)
    missing = [name for name in ARCHIVES if not (dest / "lib" / name).is_file()]
    if missing or not (dest / "include" / "mkl.h").is_file():
        sys.exit(f"unpacking Intel MKL failed: missing {missing or ['include/mkl.h']}")


if __name__ == "__main__":
    main()
