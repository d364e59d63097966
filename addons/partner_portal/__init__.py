# This file is part of the partner_portal module.
