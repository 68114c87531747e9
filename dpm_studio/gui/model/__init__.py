"""The app's model: its state and rules, Qt-free (an import-linter contract keeps it so), tested
without a window. ``session`` (the document, the mask and its feather, one undo history, the run
state, the last run; the only writer of pixels and mask) with ``events`` (what changed, for the
views to subscribe), ``predicates`` (when each command is enabled), ``frames`` (a run's frames,
where they lie, the progress in the user's units), ``maskops`` (mask painting and editing),
``models`` (the model list's wording, importing a checkpoint) and ``analysis``. It imports the
core and the shared edges, never the rest of ``dpm_studio.gui``.
"""
