from certfed.intel.models.event import Event, Tag
from certfed.intel.models.indicator import INDICATOR_TYPE_CHOICES, Indicator

__all__ = ["Event", "INDICATOR_TYPE_CHOICES", "Indicator", "Tag"]
