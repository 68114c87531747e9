"""Training and data: ``training`` (the loop as a generator of step records, resumable state, the
training's memory check), ``fasttrain`` (the loop that keeps an accelerator busy), ``presets``
(model, data and hyper-parameters by name) and ``data/`` (image patches, synthetic and toy data,
the excluded test images). Imports the files, the machine and the math; never the run wing.
"""
