from certfed.sharing.models.labels import (
    DISTRIBUTION_CHOICES,
    PAP_CHOICES,
    TLP_CHOICES,
    SharedObject,
)
from certfed.sharing.models.sharing_group import SharingGroup

__all__ = ["DISTRIBUTION_CHOICES", "PAP_CHOICES", "SharedObject", "SharingGroup", "TLP_CHOICES"]
