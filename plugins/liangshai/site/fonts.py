"""The face posters, lift screens and receipts are printed in: Noto Sans CJK SC cut down once
to the characters of GB 2312 and the punctuation and symbol blocks (BLOCKS), kept in the
cache.

WeasyPrint subsets the fonts of every PDF it writes. On the 20 MB Noto collection that was
most of a poster's time (about 60 ms a face, twice a poster); on the 3.5 MB cut-down face it
is a fraction. The cut is made with HarfBuzz's own subsetter (Debian's libharfbuzz-subset0,
which WeasyPrint uses too), in under a second. A character outside it — a rare name — falls
back glyph by glyph to the whole font: the templates name it second. Without HarfBuzz or
the Noto font, nothing is cut and the templates ask for the whole font as before.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
from pathlib import Path

from ..cache import replacing

FAMILY = "Liangshai Print"
# What the print templates ask for (`PRINT_FONTS`): the cut-down face, then the whole font.
PRINT_FONTS = f'"{FAMILY}", "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif'
WEIGHTS = {400: "Noto Sans CJK SC:weight=80", 700: "Noto Sans CJK SC:weight=200"}  # fontconfig
CHARSET_VERSION = 2  # bump when the characters kept change

_CDEF = """
typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t; typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
void hb_blob_destroy (hb_blob_t *blob);
hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t *hb_face_reference_blob (hb_face_t *face);
const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
void hb_set_add_sorted_array (hb_set_t *set, const hb_codepoint_t *codepoints, unsigned int n);
hb_subset_input_t *hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set (hb_subset_input_t *input);
hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""


# Blocks kept whole (what the font has of them): Latin-1 (· ¥), general punctuation (— …),
# letterlike symbols (℃), arrows, mathematical operators, enclosed numbers (①), geometric
# shapes (■ ●), CJK symbols and punctuation, CJK compatibility (㎡), full-width forms.
BLOCKS = (
    (0x20, 0x7F),
    (0xA0, 0x100),
    (0x2000, 0x2070),
    (0x2100, 0x2150),
    (0x2190, 0x2300),
    (0x2460, 0x2500),
    (0x25A0, 0x2600),
    (0x3000, 0x3040),
    (0x3300, 0x3400),
    (0xFF00, 0xFFF0),
)


def kept_characters() -> list[int]:
    """The blocks above, and every character of GB 2312 (the 6,763 common hanzi)."""
    out = {code for start, end in BLOCKS for code in range(start, end)}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(out)


def _source(pattern: str) -> tuple[str, int] | None:
    """The font file and face index fontconfig chooses for `pattern`, if it is Noto."""
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}", pattern],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = found.partition("\t")
    return (path, int(index)) if "NotoSansCJK" in path and index.isdigit() else None


def _cut(path: str, index: int, target: Path) -> None:
    """Write the face at `path`:`index` cut down to kept_characters() to `target`."""
    from cffi import FFI

    ffi = FFI()
    ffi.cdef(_CDEF)
    hb, hb_subset = ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")
    blob = hb.hb_blob_create_from_file_or_fail(path.encode())
    if blob == ffi.NULL:
        raise OSError(f"cannot read {path}")
    face = hb.hb_face_create(blob, index)
    wanted = hb_subset.hb_subset_input_create_or_fail()
    kept = kept_characters()
    codes = ffi.new(f"hb_codepoint_t[{len(kept)}]", kept)
    hb.hb_set_add_sorted_array(hb_subset.hb_subset_input_unicode_set(wanted), codes, len(kept))
    cut = hb_subset.hb_subset_or_fail(face, wanted)
    try:
        if cut == ffi.NULL:
            raise OSError(f"HarfBuzz could not subset {path}")
        out = hb.hb_face_reference_blob(cut)
        length = ffi.new("unsigned int *")
        data = ffi.buffer(hb.hb_blob_get_data(out, length), length[0])[:]
        hb.hb_blob_destroy(out)
        with replacing(target) as tmp:
            tmp.write_bytes(data)
    finally:
        if cut != ffi.NULL:
            hb.hb_face_destroy(cut)
        hb_subset.hb_subset_input_destroy(wanted)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def _target(cache: Path, weight: int, source: tuple[str, int]) -> Path:
    path, index = source
    stat = os.stat(path)
    key = f"{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}|{weight}|{CHARSET_VERSION}"
    return Path(cache) / "fonts" / f"print-{hashlib.sha256(key.encode()).hexdigest()[:16]}.otf"


def _faces(cache: Path, make: bool) -> dict[int, Path]:
    out = {}
    for weight, pattern in WEIGHTS.items():
        source = _source(pattern)
        if source is None:
            continue
        target = _target(cache, weight, source)
        if make and not target.exists():
            try:
                _cut(*source, target)
            except (OSError, ImportError, AttributeError):
                continue
        if target.exists():
            out[weight] = target
    return out


def prepare(cache: Path) -> str:
    """Make the cut-down faces that are missing; call it before workers start. Returns what
    print_faces() will say (a part of the posters' cache keys)."""
    print_faces.cache_clear()
    _faces(Path(cache), make=True)
    return print_faces(str(cache))


@functools.cache  # once per process: asked for every poster
def print_faces(cache: str) -> str:
    """The @font-face rules of the cut-down faces already made, for the print templates
    ("" when there are none: the templates then name the whole font first)."""
    return "".join(
        f'@font-face {{ font-family: "{FAMILY}"; font-weight: {weight}; '
        f"src: url({path.resolve().as_uri()}); }}\n"
        for weight, path in sorted(_faces(Path(cache), make=False).items())
    )
