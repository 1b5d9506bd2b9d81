"""Community roster: the register of flats, owners and residents."""
