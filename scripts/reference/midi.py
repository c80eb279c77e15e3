#!/usr/bin/env python3
"""Reference fixtures for RefrainSymbolic, made with pretty_midi.

Writes tricky Standard MIDI Files byte by byte (formats 0/1/2, running status, note-on velocity 0,
tempo and time-signature changes in the middle of a track, overlapping notes of one pitch, drums,
sysex, sustain pedal, pitch bends, stragglers, unclosed notes) plus one random mido-written file into
Tests/Fixtures/midi/, then runs pretty_midi on them and on a subset of ../shared/corpus and writes one
JSON per file: instruments and notes, tempo changes, signatures, end time, beats, downbeats, and piano
rolls (fs=100 as run-length runs; sampled at beats and at other times as sparse entries).

Usage: python3 scripts/reference/midi.py
"""
import json
import os
import random
import sys

import numpy as np

try:
    import pretty_midi
    import mido
except ImportError:
    import subprocess
    subprocess.check_call([sys.executable, "-m", "pip", "install", "pretty_midi"])
    import pretty_midi
    import mido

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "midi")
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")


def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def chunk(kind, body):
    return kind + len(body).to_bytes(4, "big") + body


def smf(fmt, division, tracks):
    header = chunk(b"MThd", fmt.to_bytes(2, "big") + len(tracks).to_bytes(2, "big") + division.to_bytes(2, "big"))
    return header + b"".join(chunk(b"MTrk", t) for t in tracks)


def track(events, end=True):
    """events: list of (delta, raw bytes)."""
    body = b"".join(vlq(d) + raw for d, raw in events)
    if end:
        body += b"\x00\xff\x2f\x00"
    return body


def meta(t, data):
    return bytes([0xFF, t]) + vlq(len(data)) + data


def tempo(bpm):
    return meta(0x51, int(round(6e7 / bpm)).to_bytes(3, "big"))


def timesig(n, d_log2):
    return meta(0x58, bytes([n, d_log2, 24, 8]))


def format0_running_status():
    # One track: name, key signature, sysex, notes with running status and velocity-0 note-offs,
    # a tempo change and a time-signature change in the middle of the track.
    ev = [(0, meta(0x03, b"Solo")), (0, tempo(100)), (0, timesig(4, 2)), (0, meta(0x59, bytes([0xFE, 0]))),
          (0, b"\xf0" + vlq(5) + b"\x7e\x7f\x09\x01\xf7"), (0, b"\xc0\x49"),
          (0, b"\x90\x3c\x50"), (240, b"\x3c\x00"), (0, b"\x3e\x60"), (240, b"\x3e\x00"),
          (0, b"\x40\x70"), (120, tempo(140)), (120, b"\x40\x00"),
          (0, timesig(3, 2)), (0, b"\x90\x43\x40"), (480, b"\x80\x43\x40"), (0, b"\x90\x45\x41"),
          (100, b"\x47\x42"), (380, b"\x45\x00"), (0, b"\x47\x00"), (0, meta(0x59, bytes([3, 1]))),
          (960, tempo(90)), (0, b"\x90\x48\x7f"), (480, b"\x48\x00")]
    return smf(0, 480, [track(ev)])


def format1_everything():
    conductor = [(0, tempo(120)), (0, timesig(3, 2)), (0, meta(0x01, b"intro")),
                 (1440, tempo(150)), (0, timesig(6, 3)), (700, tempo(75)),
                 (740, timesig(4, 2)), (300, tempo(75)), (660, tempo(200)), (0, meta(0x05, b"la"))]
    piano = [(0, meta(0x03, b"Piano")), (0, b"\xb0\x07\x64"), (0, b"\xc0\x00"),  # CC before any note: straggler
             (0, b"\x90\x3c\x40"), (100, b"\x90\x3c\x50"),  # overlapping same pitch
             (100, b"\x80\x3c\x00"),  # closes both
             (0, b"\x90\x40\x30"), (0, b"\x80\x40\x00"),  # on/off same tick: dropped
             (0, b"\xb0\x40\x7f"), (0, b"\x90\x43\x45"), (50, b"\x80\x43\x00"), (0, b"\x90\x47\x46"),
             (200, b"\x80\x47\x00"), (300, b"\xb0\x40\x00"),  # pedal off
             (0, b"\xe0\x00\x50"), (0, b"\x90\x48\x55"), (240, b"\xe0\x00\x30"), (240, b"\xe0\x00\x40"),
             (0, b"\x80\x48\x00"), (10, b"\x80\x30\x00"),  # spurious off
             (0, b"\xc0\x28"), (0, b"\x90\x4c\x41"), (480, b"\x80\x4c\x00"),  # program change: second instrument
             (0, b"\x90\x4d\x42"), (480, b"\x90\x4d\x00"), (0, b"\x90\x4d\x43"), (240, b"\x80\x4d\x00"),
             (0, b"\x90\x4f\x44")]  # never closed: dropped
    drums = [(0, meta(0x03, b"Drums")), (0, b"\x99\x24\x64"), (120, b"\x89\x24\x00"), (0, b"\x99\x26\x64"),
             (120, b"\x26\x00"), (240, b"\x2a\x50"), (60, b"\x2a\x00")]
    strings = [(0, meta(0x03, b"Strings")), (0, b"\xc1\x30"), (0, b"\xe1\x7f\x7f")]
    t = 0
    for k in range(24):
        p = 48 + (k * 5) % 24
        strings += [(60, bytes([0x91, p, 40 + k])), (200, bytes([0x81, p, 0]))]
    return smf(1, 480, [track(conductor), track(piano), track(drums), track(strings, end=False)])


def format2_sequences():
    a = [(0, tempo(110)), (0, meta(0x03, b"Seq A")), (0, b"\x90\x3c\x40"), (96, b"\x80\x3c\x40")]
    b = [(0, meta(0x03, b"Seq B")), (0, b"\xc2\x38"), (48, b"\x92\x37\x41"), (96, b"\x82\x37\x40"),
         (0, b"\xf7" + vlq(2) + b"\x01\x02"), (0, b"\x92\x39\x42"), (50, b"\x82\x39\x40")]
    return smf(2, 96, [track(a), track(b)])


def random_mido():
    rng = random.Random(7)
    mid = mido.MidiFile(type=1, ticks_per_beat=384)
    cond = mido.MidiTrack()
    mid.tracks.append(cond)
    cond.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    cond.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    for _ in range(6):
        cond.append(mido.MetaMessage("set_tempo", tempo=rng.randint(300000, 900000), time=rng.randint(200, 3000)))
    for ch, prog in [(0, 0), (1, 33), (2, 73)]:
        tr = mido.MidiTrack()
        mid.tracks.append(tr)
        tr.append(mido.Message("program_change", channel=ch, program=prog, time=0))
        events = []
        for _ in range(120):
            start = rng.randint(0, 12000)
            dur = rng.randint(1, 800)
            p = rng.randint(30, 90)
            events.append((start, 1, p, rng.randint(1, 127)))
            events.append((start + dur, 0, p, 0))
        events.sort()
        last = 0
        for t, on, p, v in events:
            kind = "note_on" if on else "note_off"
            tr.append(mido.Message(kind, channel=ch, note=p, velocity=v, time=t - last))
            last = t
    path = os.path.join(OUT, "random_mido.mid")
    mid.save(path)


def runs(roll):
    out = []
    for p in range(roll.shape[0]):
        row = roll[p]
        nz = np.flatnonzero(row)
        if nz.size == 0:
            continue
        start = nz[0]
        for j in range(1, nz.size + 1):
            if j == nz.size or nz[j] != nz[j - 1] + 1 or row[nz[j]] != row[nz[j - 1]]:
                out.append([int(p), int(start), int(nz[j - 1] - start + 1), float(row[start])])
                if j < nz.size:
                    start = nz[j]
    return out


def sparse(roll):
    r, c = np.nonzero(roll)
    return [[int(a), int(b), float(roll[a, b])] for a, b in zip(r, c)]


def describe(path, full):
    pm = pretty_midi.PrettyMIDI(path)
    beats = pm.get_beats()
    out = {
        "file": os.path.basename(path),
        "resolution": pm.resolution,
        "end_time": float(pm.get_end_time()),
        "instruments": [{"program": int(i.program), "is_drum": i.is_drum, "name": i.name,
                         "notes": [[float(n.start), float(n.end), int(n.pitch), int(n.velocity)] for n in i.notes],
                         "control_changes": len(i.control_changes), "pitch_bends": len(i.pitch_bends)}
                        for i in pm.instruments],
        "tempo_changes": [list(map(float, x)) for x in zip(*pm.get_tempo_changes())],
        "time_signatures": [[int(t.numerator), int(t.denominator), float(t.time)] for t in pm.time_signature_changes],
        "key_signatures": [[int(k.key_number), float(k.time)] for k in pm.key_signature_changes],
        "beats": beats.tolist(),
        "downbeats": pm.get_downbeats().tolist(),
    }
    roll = pm.get_piano_roll(fs=100)
    out["roll_fs100_shape"] = list(roll.shape)
    out["roll_fs100_runs"] = runs(roll)
    beat_roll = pm.get_piano_roll(times=beats) if beats.size else np.zeros((128, 0))
    out["roll_beats_shape"] = list(beat_roll.shape)
    out["roll_beats"] = sparse(beat_roll)
    if full:
        times = np.arange(0, pm.get_end_time() + 1, 0.37)
        t_roll = pm.get_piano_roll(fs=50, times=times)
        out["times_037"] = times.tolist()
        out["roll_times_fs50_shape"] = list(t_roll.shape)
        out["roll_times_fs50"] = sparse(t_roll)
        no_pedal = pm.get_piano_roll(fs=100, pedal_threshold=None)
        out["roll_fs100_nopedal_runs"] = runs(no_pedal)
        chroma = pm.get_chroma(fs=100)
        out["chroma_fs100_shape"] = list(chroma.shape)
        out["chroma_fs100_runs"] = runs(chroma)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    made = {"format0_running_status.mid": format0_running_status(),
            "format1_everything.mid": format1_everything(),
            "format2_sequences.mid": format2_sequences()}
    for name, data in made.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    random_mido()
    names = sorted(made) + ["random_mido.mid"]
    results = [describe(os.path.join(OUT, n), True) for n in names]
    if os.path.isdir(CORPUS):
        files = sorted(f for f in os.listdir(CORPUS) if f.endswith(".mid"))
        subset = files[::16]
        for f in subset:
            d = describe(os.path.join(CORPUS, f), False)
            d["corpus"] = True
            results.append(d)
    for d in results:
        name = d["file"].replace(".mid", ".json")
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(d, f, separators=(",", ":"))
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(results)} reference files to {OUT}, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
