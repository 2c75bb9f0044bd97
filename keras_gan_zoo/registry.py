"""Families are found through Keras's serializable registry: a family
registers itself with `@keras.saving.register_keras_serializable(package=PACKAGE)`
in its own model file, and presets, cards and tools look it up by class name,
so nothing outside the family names it."""

import keras

PACKAGE = "keras_gan_zoo"


def family_class(class_name):
    """The registered family called `class_name`, or None."""
    return keras.saving.get_registered_object(f"{PACKAGE}>{class_name}")


def families():
    """`{class name: class}` of every registered keras-gan-zoo family (a
    class that declares a `task`)."""
    found = {}
    prefix = f"{PACKAGE}>"
    for key, obj in keras.saving.get_custom_objects().items():
        if key.startswith(prefix) and isinstance(obj, type) and getattr(obj, "task", None) is not None:
            found[key[len(prefix):]] = obj
    return dict(sorted(found.items()))
