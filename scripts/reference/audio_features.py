#!/usr/bin/env python3
"""Reference fixtures for RefrainAudio and RefrainFeatures, computed with librosa 0.11.

Makes deterministic signals itself (no audio files are committed), runs librosa on them and writes small
float32 .npy files under Tests/Fixtures/features/:

  <name>_signal.npy        mono float32 signal at 22050 Hz (chords, notes, chirp, noise)
  <name>_cqt48.npy         |librosa.cqt| with Raffel & Ellis (2015) settings, frames x 48
  <name>_chroma.npy        librosa.feature.chroma_cqt(tuning=0), frames x 12
  <name>_cens.npy          librosa.feature.chroma_cens(tuning=0), frames x 12
  chords_cqt84.npy         |librosa.cqt| with librosa defaults (84 bins from C1), frames x 84
  chords_cqt48_db.npy      librosa.amplitude_to_db(cqt48, ref=np.max), frames x 48
  stereo44k.npy            a 0.5 s stereo signal at 44100 Hz, frames x 2
  load_<fmt>.npy           librosa.load(sr=22050, res_type="soxr_hq") of stereo44k written by soundfile as
                           wav (float), flac (PCM 16) and ogg (vorbis)

Run: python3 scripts/reference/audio_features.py
"""
import os
import subprocess
import sys
import tempfile

try:
    import soundfile as sf
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "soundfile"])
    import soundfile as sf
import librosa
import numpy as np

SR = 22050
HOP = 512
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "features")


def tone(midi, seconds, sr=SR, harmonics=4, decay=0.0):
    t = np.arange(int(seconds * sr)) / sr
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    y = sum((0.6 ** h) * np.sin(2 * np.pi * f0 * (h + 1) * t) for h in range(harmonics) if f0 * (h + 1) < sr / 2)
    env = np.exp(-decay * t) if decay else np.ones_like(t)
    return y * env


def chords():
    progression = [[60, 64, 67, 48], [65, 69, 72, 53], [67, 71, 74, 55]]  # C, F, G with bass
    return np.concatenate([sum(tone(m, 1.0) for m in c) / 4 for c in progression])


def notes():
    seq = [60, 62, 64, 65, 67, 69, 71, 72, 57, 52, 45, 76]
    return np.concatenate([0.5 * tone(m, 0.25, decay=6.0) for m in seq])


def chirp():
    t = np.arange(int(3.0 * SR)) / SR
    f0, f1 = 60.0, 4000.0
    k = np.log(f1 / f0) / 3.0
    return 0.5 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k)


def noise():
    return 0.1 * np.random.default_rng(7).standard_normal(int(2.0 * SR))


def save(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make in [("chords", chords), ("notes", notes), ("chirp", chirp), ("noise", noise)]:
        y = make().astype(np.float32)
        save(f"{name}_signal.npy", y)
        c48 = np.abs(librosa.cqt(y, sr=SR, hop_length=HOP, fmin=librosa.midi_to_hz(36), n_bins=48,
                                 bins_per_octave=12))
        save(f"{name}_cqt48.npy", c48.T)
        save(f"{name}_chroma.npy", librosa.feature.chroma_cqt(y=y, sr=SR, hop_length=HOP, tuning=0.0).T)
        save(f"{name}_cens.npy", librosa.feature.chroma_cens(y=y, sr=SR, hop_length=HOP, tuning=0.0).T)
        if name == "chords":
            save("chords_cqt84.npy", np.abs(librosa.cqt(y, sr=SR, hop_length=HOP)).T)
            save("chords_cqt48_db.npy", librosa.amplitude_to_db(c48, ref=np.max).T)

    # Decoding: a stereo 44.1 kHz signal, written by soundfile, loaded by librosa.
    t = np.arange(int(0.5 * 44100)) / 44100
    left = 0.4 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3000 * t)
    right = 0.3 * np.sin(2 * np.pi * 660 * t) + 0.1 * np.sin(2 * np.pi * 9000 * t)
    stereo = np.stack([left, right], axis=1).astype(np.float32)
    save("stereo44k.npy", stereo)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, kwargs in [("wav", dict(subtype="FLOAT")), ("flac", dict(subtype="PCM_16")),
                            ("ogg", dict(subtype="VORBIS"))]:
            path = os.path.join(tmp, f"stereo.{fmt}")
            sf.write(path, stereo, 44100, **kwargs)
            y, _ = librosa.load(path, sr=SR, res_type="soxr_hq")
            save(f"load_{fmt}.npy", y)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} fixtures, {total / 1e6:.2f} MB, librosa {librosa.__version__}")


if __name__ == "__main__":
    main()
