"""知情告知 at 登记: the consent screen and its signature pad."""
