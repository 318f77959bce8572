# The public names of recolor, in the one place type checkers and the runtime
# both read (lazy_loader.attach_stub): ``import recolor`` loads none of them
# until one is used. The techniques' lines are written from the registry by
# `python -m tools.generate`; tests/test_registry.py fails while they are stale.

from .api import fastest_technique as fastest_technique
from .api import recolor as recolor
from .core.registry import CONTRACT_DOC as CONTRACT_DOC
from .core.registry import Technique as Technique
from .core.registry import register as register
from .core.sample import BACKGROUND as BACKGROUND
from .core.sample import sample_image as sample_image
from .core.threads import set_thread_limit as set_thread_limit
from .core.threads import thread_limit as thread_limit
from .core.validation import Request as Request
from .core.validation import validate_request as validate_request
from .errors import RecolorError as RecolorError
from .techniques import TECHNIQUES as TECHNIQUES

# <techniques>
from .techniques.numba_loops import numba_parallel as numba_parallel
from .techniques.numba_loops import numba_serial as numba_serial
from .techniques.numpy_techniques import numpy_loop as numpy_loop
from .techniques.numpy_techniques import numpy_mask as numpy_mask
from .techniques.numpy_techniques import numpy_packed as numpy_packed
from .techniques.opencv_techniques import opencv_inrange as opencv_inrange
from .techniques.opencv_techniques import opencv_native as opencv_native
from .techniques.pillow_techniques import pil_band_masks as pil_band_masks
from .techniques.pillow_techniques import pil_flattened_data as pil_flattened_data
from .techniques.pillow_techniques import pil_putpixel as pil_putpixel

# </techniques>

__version__: str
