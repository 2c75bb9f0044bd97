"""Hub round trip through a real Hub-compatible server (olah, offline)."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

import keras_gan_zoo as kgz
from keras_gan_zoo import encoder as encoders

OLAH = shutil.which("olah-cli") or os.path.join(os.path.dirname(sys.executable), "olah-cli")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hub_server(tmp_path):
    if not os.path.exists(OLAH):
        pytest.skip("olah is not installed (pip install olah)")
    port = _free_port()
    mirrors = tmp_path / "mirrors"
    (mirrors / "models").mkdir(parents=True)
    config = tmp_path / "olah.toml"
    config.write_text(
        "[basic]\n"
        f'host = "127.0.0.1"\nport = {port}\n'
        f'mirror-netloc = "127.0.0.1:{port}"\nmirror-lfs-netloc = "127.0.0.1:{port}"\n'
        f'repos-path = "{tmp_path / "repos"}"\nmirrors-path = ["{mirrors}"]\n'
        "[accessibility]\noffline = true\n"
    )
    process = subprocess.Popen([OLAH, "-c", str(config)], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except urllib.error.HTTPError:
            break  # the server answers
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("the local Hub server did not start")
    yield endpoint, mirrors
    process.terminate()
    process.wait(timeout=10)


def _git(folder, *args):
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"))


def test_from_pretrained_hf_through_a_local_hub(hub_server, tmp_path, tiny_dcgan, monkeypatch):
    endpoint, mirrors = hub_server
    repo = mirrors / "models" / "kgz-test" / "tiny-dcgan"
    tiny_dcgan.save_pretrained(repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "preset")
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    loaded = kgz.from_pretrained("hf://kgz-test/tiny-dcgan")
    np.testing.assert_array_equal(loaded.generate(3, seed=0), tiny_dcgan.generate(3, seed=0))
    with pytest.raises(Exception):
        kgz.from_pretrained("hf://kgz-test/no-such-repo")


def test_hf_address_must_name_org_and_repo():
    with pytest.raises(ValueError, match="hf://org/repo"):
        kgz.from_pretrained("hf://just-a-name")


def test_push_to_hub_uploads_a_loadable_preset(tmp_path, tiny_dcgan, monkeypatch):
    # No offline server accepts uploads: record what would be uploaded.
    uploaded = {}

    class RecordingApi:
        def __init__(self, token=None):
            uploaded["token"] = token

        def create_repo(self, repo_id, private=False, exist_ok=False, repo_type=None):
            uploaded["repo"] = (repo_id, private, exist_ok, repo_type)

        def upload_folder(self, repo_id, folder_path, repo_type=None, commit_message=None):
            shutil.copytree(folder_path, tmp_path / "uploaded")
            uploaded["message"] = commit_message
            return "commit"

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", RecordingApi)
    assert tiny_dcgan.push_to_hub("me/tiny", private=True, token="t0k") == "commit"
    assert uploaded["repo"] == ("me/tiny", True, True, "model") and uploaded["token"] == "t0k"
    folder = tmp_path / "uploaded"
    assert (folder / "README.md").read_text().startswith("---\nlibrary_name: keras")
    loaded = kgz.from_pretrained(str(folder))
    np.testing.assert_array_equal(loaded.generate(2, seed=1), tiny_dcgan.generate(2, seed=1))
    # A model loaded from a preset pushes its optional parts too (here an inverting encoder).
    source = shutil.copytree(folder, tmp_path / "source")
    encoders.Encoder(encoders.build_network((16, 16, 1), (8,), 4), "z", {"width": 4}).save(source)
    with_encoder = kgz.from_pretrained(str(source))
    shutil.rmtree(folder)
    with_encoder.push_to_hub("me/tiny")
    assert encoders.of(kgz.from_pretrained(str(folder))) is not None


def test_push_command_uploads_a_trained_folder_and_explains_failures(tmp_path, tiny_dcgan, monkeypatch, capsys):
    """`keras-gan-zoo push FOLDER org/name`: what `train --out` wrote goes to
    the Hub as a loadable preset; a malformed repo id or a refused upload is a
    clear error (exit status 2), not a traceback."""
    import huggingface_hub

    from keras_gan_zoo import cli

    uploaded = {}

    class RecordingApi:
        def __init__(self, token=None):
            pass

        def create_repo(self, repo_id, private=False, exist_ok=False, repo_type=None):
            if repo_id == "me/refused":
                raise huggingface_hub.errors.LocalTokenNotFoundError("Token is required")
            uploaded["repo"] = (repo_id, private)

        def upload_folder(self, repo_id, folder_path, repo_type=None, commit_message=None):
            shutil.copytree(folder_path, tmp_path / "uploaded")
            uploaded["message"] = commit_message
            return "commit-url"

    monkeypatch.setattr(huggingface_hub, "HfApi", RecordingApi)
    folder = tiny_dcgan.save_pretrained(tmp_path / "trained")
    assert cli.main(["push", str(folder), "me/tiny", "--private", "--message", "first weights"]) == 0
    assert uploaded == {"repo": ("me/tiny", True), "message": "first weights"}
    assert "Pushed" in capsys.readouterr().out
    loaded = kgz.from_pretrained(str(tmp_path / "uploaded"))
    np.testing.assert_array_equal(loaded.generate(2, seed=1), tiny_dcgan.generate(2, seed=1))
    assert cli.main(["push", str(folder), "tiny"]) == 2
    assert "repo_id must be 'org/name'" in capsys.readouterr().err
    assert cli.main(["push", str(folder), "me/refused"]) == 2
    assert "huggingface-cli login" in capsys.readouterr().err
