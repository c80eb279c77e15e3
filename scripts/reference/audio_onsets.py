#!/usr/bin/env python3
"""Reference fixtures for STFT, mel spectrogram, onset strength, tempo, beat tracking and beat-sync
pooling (librosa 0.11). Writes Tests/Fixtures/onsets/.

The script makes its own deterministic signals at 22050 Hz, quantized to int16 so that the Swift
tests read exactly the samples librosa saw (sample = int16 / 32768):
  clicks100: decaying plucks (fundamental + 3 harmonics) at 100 BPM, 8 s
  notes128:  a note sequence at 128 BPM, pitches changing, with a soft sustained pad, 8 s
  bursts:    noise bursts at irregular times, 6 s
"""
import json
import os
import sys

import numpy as np

try:
    import librosa
except ImportError:  # pragma: no cover
    import subprocess
    subprocess.check_call([sys.executable, "-m", "pip", "install", "librosa==0.11.*"])
    import librosa

SR = 22050
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "onsets")


def pluck(freq, dur, sr=SR, decay=8.0):
    t = np.arange(int(dur * sr)) / sr
    env = np.exp(-decay * t) * np.minimum(1.0, t / 0.002)
    x = np.zeros_like(t)
    for h, a in enumerate([1.0, 0.5, 0.3, 0.15], start=1):
        x += a * np.sin(2 * np.pi * freq * h * t)
    return env * x


def train(bpm, seconds, freqs, offset=0.25, sr=SR):
    y = np.zeros(int(seconds * sr))
    period = 60.0 / bpm
    k = 0
    t = offset
    while t < seconds:
        start = int(round(t * sr))
        note = pluck(freqs[k % len(freqs)], min(period * 1.5, seconds - t))
        end = min(len(y), start + len(note))
        y[start:end] += note[: end - start]
        k += 1
        t = offset + k * period
    return y


def quantize(y):
    y = 0.5 * y / np.max(np.abs(y))
    q = np.round(y * 32767).astype(np.int16)
    return q, (q.astype(np.float32) / 32768.0)


def signals():
    rng = np.random.default_rng(20261122)
    clicks = train(100, 8.0, [440.0])
    notes = train(128, 8.0, [261.63, 329.63, 392.0, 523.25, 392.0, 329.63])
    t = np.arange(len(notes)) / SR
    notes += 0.05 * np.sin(2 * np.pi * 110.0 * t)  # a soft pad under the notes
    bursts = np.zeros(int(6.0 * SR))
    for start in [0.3, 0.9, 1.35, 2.2, 2.6, 3.4, 4.05, 4.5, 5.3]:
        n = int(0.12 * SR)
        s = int(start * SR)
        env = np.exp(-np.arange(n) / (0.03 * SR))
        bursts[s:s + n] += env * rng.standard_normal(n)
    bursts += 0.001 * rng.standard_normal(len(bursts))
    return {"clicks100": clicks, "notes128": notes, "bursts": bursts}


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), array)


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"librosa": librosa.__version__, "sr": SR, "signals": {}}
    for name, y in signals().items():
        q, y = quantize(y)
        save(f"{name}_signal", q)
        # Onset strength: default (mean) and median, mel power -> dB, lag 1, max_size 1, centred.
        env_mean = librosa.onset.onset_strength(y=y, sr=SR)
        env_median = librosa.onset.onset_strength(y=y, sr=SR, aggregate=np.median)
        env_detrend = librosa.onset.onset_strength(y=y, sr=SR, detrend=True, lag=2, max_size=3)
        save(f"{name}_onset_mean", env_mean.astype(np.float32))
        save(f"{name}_onset_median", env_median.astype(np.float32))
        save(f"{name}_onset_detrend_lag2_max3", env_detrend.astype(np.float32))
        tempo = float(librosa.feature.tempo(onset_envelope=env_median, sr=SR)[0])
        bpm, beats = librosa.beat.beat_track(onset_envelope=env_median, sr=SR)
        _, beats_untrimmed = librosa.beat.beat_track(onset_envelope=env_median, sr=SR, trim=False)
        bpm_given, beats_given = librosa.beat.beat_track(onset_envelope=env_median, sr=SR, bpm=100.0)
        meta["signals"][name] = {
            "samples": int(len(y)),
            "tempo": tempo,
            "beat_track_bpm": float(np.atleast_1d(bpm)[0]),
            "beats": [int(b) for b in beats],
            "beats_untrimmed": [int(b) for b in beats_untrimmed],
            "beats_bpm100": [int(b) for b in beats_given],
        }
        if name == "bursts":
            mel = librosa.feature.melspectrogram(y=y, sr=SR)
            save("bursts_melspec", mel.T.astype(np.float32))  # frames x mels
            mel_db = librosa.power_to_db(mel)
            sync_beats = meta["signals"]["clicks100"]["beats"][:8]
            meta["sync_beats"] = [int(b) for b in sync_beats]
            save("bursts_sync_mean", librosa.util.sync(mel_db, sync_beats, aggregate=np.mean).T.astype(np.float32))
            # Onset strength from a given log spectrogram (|STFT| in dB, ref = max), median over bins.
            logS = librosa.amplitude_to_db(np.abs(librosa.stft(y)), ref=np.max)
            save("bursts_onset_from_logstft_median",
                 librosa.onset.onset_strength(S=logS, sr=SR, aggregate=np.median).astype(np.float32))
            save("bursts_sync_median", librosa.util.sync(mel_db, sync_beats, aggregate=np.median).T.astype(np.float32))
        if name == "notes128":
            ex = y[: SR]  # 1 s excerpt
            save("notes128_stft_mag", np.abs(librosa.stft(ex)).T.astype(np.float32))
            ex2 = y[: SR // 2]
            save("notes128_stft_reflect_1024_256_800",
                 np.abs(librosa.stft(ex2, n_fft=1024, hop_length=256, win_length=800, pad_mode="reflect")).T
                 .astype(np.float32))
            save("notes128_stft_nocenter_512_128",
                 np.abs(librosa.stft(ex2[:4000], n_fft=512, hop_length=128, center=False)).T.astype(np.float32))
    save("mel_1024_64_slaney", librosa.filters.mel(sr=SR, n_fft=1024, n_mels=64).astype(np.float32))
    save("mel_1024_40_htk_nonorm_fmin100_fmax8000",
         librosa.filters.mel(sr=SR, n_fft=1024, n_mels=40, htk=True, norm=None, fmin=100, fmax=8000)
         .astype(np.float32))
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {OUT} ({total / 1e6:.2f} MB)")
    for name, s in meta["signals"].items():
        print(name, "tempo", round(s["tempo"], 2), "beats", len(s["beats"]))


if __name__ == "__main__":
    main()
