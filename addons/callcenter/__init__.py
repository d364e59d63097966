# This file is part of the callcenter module.
