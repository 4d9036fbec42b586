"""Why a companion skips the photo: the reasons offered on the check-in and the desk's screens."""

from booth.ui.i18n import N_

SKIP_PHOTO_REASONS = [N_("The camera does not work"), N_("The voter refused the photo")]
