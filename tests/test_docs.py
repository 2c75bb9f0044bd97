"""The documents' links: every relative link in the README, the model cards
and the results points at a file that exists, and every link to a section
(of the same page or of `benchmarks/RESULTS.md`) names a heading that page
has (GitHub's anchors), so renaming a section or moving a file cannot leave
a dead link behind; and the README's gallery shows each image preset as the
weights it ships draw."""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCUMENTS = ["README.md", "MODEL_CARDS.md", "benchmarks/RESULTS.md"]


def _documents():
    paths = [ROOT / d for d in DOCUMENTS] + sorted((ROOT / "weights").glob("*/README.md"))
    return [p for p in paths if p.exists()]


def github_anchor(heading, seen):
    """The anchor GitHub gives a Markdown heading: lower case, punctuation
    dropped, spaces to hyphens, and "-1", "-2"... on repeats (`seen` counts)."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


def _anchors(path):
    seen = {}
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.M | re.S)  # no headings inside code
    return {github_anchor(h, seen) for h in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


def test_github_anchor_follows_githubs_rule():
    seen = {}
    assert github_anchor("One GPU, four presets (`recipes/gpu_all.py`, 2026-12-04)", seen) == (
        "one-gpu-four-presets-recipesgpu_allpy-2026-12-04")
    assert github_anchor("FID: 10,000 vs 10,000", seen) == "fid-10000-vs-10000"
    assert github_anchor("FID: 10,000 vs 10,000", seen) == "fid-10000-vs-10000-1"


def test_every_relative_link_points_at_a_file_that_exists():
    dead = []
    for path in _documents():
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a web address or a section of the same page
            if not (path.parent / target.split("#")[0]).exists():
                dead.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not dead, "links to files that do not exist:\n" + "\n".join(dead)


def test_every_link_to_a_section_names_a_heading_it_has():
    results = ROOT / "benchmarks" / "RESULTS.md"
    results_anchors = _anchors(results)
    assert len(results_anchors) > 10
    dead = []
    for path in _documents():
        text = path.read_text()
        own = _anchors(path)
        dead += [f"{path.relative_to(ROOT)} -> #{a}" for a in re.findall(r"\]\(#([\w\-]+)\)", text) if a not in own]
        if path.resolve() != results.resolve():
            dead += [f"{path.relative_to(ROOT)} -> RESULTS.md#{a}"
                     for a in re.findall(r"RESULTS\.md#([\w\-]+)", text) if a not in results_anchors]
    assert not dead, "links to sections that do not exist (was a heading renamed?):\n" + "\n".join(dead)


def test_the_gallery_shows_every_image_preset_as_its_weights_draw_now():
    """README's gallery: a picture per shipped image preset, drawn from the
    weights it ships now (`benchmarks/preset_gallery.py` records their sha256)."""
    from keras_gan_zoo import presets, registry

    record = json.loads((ROOT / "docs" / "images" / "gallery.json").read_text())
    readme = (ROOT / "README.md").read_text()
    stale = []
    for name in presets.list_presets():
        metadata = json.loads((presets.preset_dir(name) / presets.METADATA_FILE).read_text())
        if registry.family_class(metadata["class_name"]).task.output != "images":
            continue
        picture = f"docs/images/gallery-{name}.png"
        assert (ROOT / picture).is_file() and f"]({picture})" in readme, f"{name} has no picture in the gallery"
        if record.get(name, {}).get("weights_sha256") != metadata["files"][presets.WEIGHTS_FILE]["sha256"]:
            stale.append(name)
    assert not stale, (f"the gallery shows other weights than {stale} ship now: "
                       f"python benchmarks/preset_gallery.py {' '.join(stale)}")
