from certfed.intel.models.correlation import IndexState, ValueStat
from certfed.intel.models.event import Event, Tag
from certfed.intel.models.indicator import INDICATOR_TYPE_CHOICES, Indicator
from certfed.intel.models.sighting import Sighting

__all__ = [
    "Event",
    "INDICATOR_TYPE_CHOICES",
    "IndexState",
    "Indicator",
    "Sighting",
    "Tag",
    "ValueStat",
]
