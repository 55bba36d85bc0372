"""Figures from neg result datasets (matplotlib, optional: ``pip install neg[plot]``).

Every function takes an :class:`xarray.Dataset` produced by neg (or built by hand in the same
format), draws on ``ax`` (a new figure if None), saves to ``path`` if given (PNG or PDF by the
suffix, 200 dpi, tight bounding box) and returns the Axes. Nothing here computes an equilibrium.

* :func:`tomahawk` - bifurcation diagram (``neg.bifurcation_diagram``)
* :func:`heatmap`  - shares over parameter (or time) x region (``neg.trace``, ``neg.simulate``)
* :func:`paths`    - shares against time (``neg.simulate``) or the parameter (``neg.trace``)
* :func:`map`      - shares as dots on lon/lat for coordinate geographies, sized by share,
  coloured by change, groups of regions as marker shapes
* :func:`order`    - the order of industrialisation (``neg.metrics.industrialisation_order``)
* :func:`counterfactual` - map, order and group shares of a calibrated study (``neg plot``)
* :func:`study_figure` - the natural figure of a YAML study's result file (``neg plot``)
"""

from neg.plot.figures import heatmap, paths, study_figure, tomahawk
from neg.plot.places import counterfactual, map, order

__all__ = ["tomahawk", "heatmap", "paths", "map", "order", "counterfactual", "study_figure"]
