"""Load: run the user's model file and find the model and its inputs. The only place user files run.

- `userfile`: check the path, put its folder on sys.path, import the file or run it as `__main__`
  (imports no torch, so a wrong path is reported before torch is loaded);
- `find`: the model rules (`--model`, `build_model`/`model`, one class that builds without arguments);
- `inputs`: `--input` specs and `example_inputs`, devices;
- `loader`: `load()`, which puts them together.
"""
