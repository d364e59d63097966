# This file is part of the member_points module.
