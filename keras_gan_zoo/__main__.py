import sys

from keras_gan_zoo.cli import main

sys.exit(main())
