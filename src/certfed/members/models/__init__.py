from certfed.members.models.apikey import ApiKey
from certfed.members.models.organisation import Organisation
from certfed.members.models.user import User

__all__ = ["ApiKey", "Organisation", "User"]
