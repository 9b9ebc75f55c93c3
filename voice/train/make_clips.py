#!/usr/bin/env python3
"""Makes the synthetic training clips for the detector: interview sentences spoken by
several espeak-ng voices over white and brown noise (none to 0 dB SNR), with typing,
clicks, tones, music and knocks in the pauses. Uses the workspace's clip maker
(../shared/tools/make_audio.py; needs espeak-ng and sox from Debian).

    python3 voice/train/make_clips.py OUT     # OUT/train11, OUT/train12, OUT/train13
"""
import os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
MAKER = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'shared', 'tools', 'make_audio.py'))
VOICES = 'en-us,en-gb,en-us+f2,en-gb-x-rp,en-us+m1,en-029,en-gb-scotland,en-us+f4'
SEEDS = (11, 12, 13)

out = sys.argv[1]
procs = [subprocess.Popen([sys.executable, MAKER, '--sentences', os.path.join(HERE, 'sentences.txt'),
                           '--voices', VOICES, '--out', os.path.join(out, f'train{s}'), '--clips', '16',
                           '--seed', str(s)], stdout=subprocess.DEVNULL) for s in SEEDS]
sys.exit(max(p.wait() for p in procs))
