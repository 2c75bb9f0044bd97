"""Every training recipe in recipes/ still fits the library: its model class
is registered, each model setting is an argument that class takes, its loss
is one the family plays and its data set one the library loads. A renamed
argument or loss otherwise shows only when someone starts that recipe, at
the start of an hour-long run."""

import inspect
import pathlib

import pytest

from keras_gan_zoo import cli, datasets, registry

RECIPES = pathlib.Path(__file__).resolve().parents[1] / "recipes"
# Recipes of image families (the translator's recipe builds its model from its own settings).
IMAGE_RECIPES = sorted(p.stem for p in RECIPES.glob("*.py")
                       if "\nRECIPE = " in p.read_text() and p.stem != "unmt_en_es_bible")


def named_arguments(cls):
    """The keyword arguments `cls(...)` accepts by name, through the
    `**kwargs` each class passes on to its parents' constructors."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        names |= {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return names - {"self"}


def test_named_arguments_follow_kwargs_to_the_parents():
    class Base:
        def __init__(self, a=1, **kwargs):
            pass

    class Child(Base):
        def __init__(self, b=2, **kwargs):
            super().__init__(**kwargs)

    class Closed(Base):
        def __init__(self, c=3):
            super().__init__()

    assert named_arguments(Child) == {"a", "b"} and named_arguments(Closed) == {"c"}


def test_there_are_recipes_to_check():
    assert {"dcgan_mnist", "stylegan_openmoji", "stackgan_openmoji"} <= set(IMAGE_RECIPES)


@pytest.mark.parametrize("name", IMAGE_RECIPES)
def test_recipe_fits_the_library(name):
    recipe = cli._find_recipe(name)
    cls = registry.family_class(recipe["model_class"])
    assert cls is not None, f"{name}: model class {recipe['model_class']!r} is not registered"
    unknown = set(recipe["model"]) - named_arguments(cls)
    assert not unknown, f"{name}: {cls.__name__} takes no argument {sorted(unknown)}"
    assert recipe["loss"] in cls.supported_losses, f"{name}: {cls.__name__} does not play {recipe['loss']!r}"
    assert recipe["dataset"] in datasets.LOADERS, f"{name}: no data set {recipe['dataset']!r}"
    for stage in recipe.get("stages") or []:
        assert set(stage) <= {"stage", "label", "compile", "dataset_args", "epochs", "batch_size",
                              "time_limit_minutes", "augment"}, f"{name}: a stage sets {sorted(stage)}"
