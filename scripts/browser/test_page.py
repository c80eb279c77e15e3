#!/usr/bin/env python3
"""Drives `refrain serve`'s page in a real, headless Chromium, as a person would.

1. Builds the demo index (`refrain demo --out-dir`: twelve rendered tunes, and an audio query that is an
   excerpt of "minuet-in-g" played on other instruments, at another tempo, with another soundfont).
2. Starts `refrain serve` on it, on loopback, on a free port.
3. Upload: opens the page, chooses the excerpt in the file input, waits for the ranking, checks that
   minuet-in-g is first, that its matched span can be played, that the alignment is drawn; screenshots at
   desktop and phone widths.
4. Microphone: Chromium's fake capture device plays the excerpt (--use-file-for-fake-audio-capture); the
   page records ~10 s with MediaRecorder, converts to WAV and queries; checks minuet-in-g is first;
   screenshots.

Prints one line per check and a closing line "browser: N passed, N failed"; exits non-zero on a failure.
Every wait is bounded; the whole run takes about a minute after the demo index is built.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

EXPECTED = "minuet-in-g"
DESKTOP = (1280, 900)
PHONE = (390, 844)


def log(message):
    print(f"browser: {message}", flush=True)


def build_index(refrain, work):
    demo = work / "demo"
    if demo.exists():
        shutil.rmtree(demo)
    started = time.time()
    subprocess.run([str(refrain), "demo", "--out-dir", str(demo)], check=True, timeout=600,
                   stdout=subprocess.DEVNULL)
    log(f"demo index built in {time.time() - started:.1f} s")
    query = demo / f"query-{EXPECTED}-excerpt.wav"
    if not query.exists():
        raise SystemExit(f"browser: the demo wrote no {query.name}")
    return demo / "index", query


def start_server(refrain, index, log_path):
    log_file = open(log_path, "w")
    process = subprocess.Popen([str(refrain), "serve", str(index), "--port", "0", "--host", "127.0.0.1"],
                               stdout=subprocess.PIPE, stderr=log_file, text=True, start_new_session=True)
    deadline = time.time() + 60
    url = None
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise SystemExit(f"browser: refrain serve exited with {process.returncode}; see {log_path}")
            continue
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        if match:
            url = match.group(1)
            break
    if url is None:
        stop_server(process)
        raise SystemExit("browser: refrain serve did not say where it listens within 60 s")
    log(f"serving at {url}")
    return process, url


def stop_server(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def make_driver(fake_audio, artifacts):
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-audio-capture={fake_audio}",
                     "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=en-US"]:
        options.add_argument(argument)
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    service = Service(executable_path=driver_path, log_output=str(artifacts / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def set_viewport(driver, width, height):
    """Sets the page's viewport (not the window) to width x height CSS pixels."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def screenshot(driver, path, width, height):
    """A full-page screenshot at a viewport of width x height."""
    set_viewport(driver, width, height)
    time.sleep(0.4)  # the alignment redraws on resize
    full = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
    set_viewport(driver, width, max(height, full))
    time.sleep(0.4)
    driver.save_screenshot(str(path))
    set_viewport(driver, width, height)
    log(f"screenshot {path}")


def open_page(driver, url):
    driver.get(url)
    WebDriverWait(driver, 20).until(lambda d: "item" in d.find_element(By.ID, "index-info").text)


def wait_for_ranking(driver, timeout=90):
    """Waits for results (or an error in the status line); returns the keys in rank order."""
    def done(d):
        status = d.find_element(By.ID, "status")
        if "error" in (status.get_attribute("class") or ""):
            raise AssertionError(f"the page shows an error: {status.text}")
        return d.find_elements(By.CSS_SELECTOR, "#results li.result") and "done" in (status.get_attribute("class") or "")
    WebDriverWait(driver, timeout, poll_frequency=0.25).until(done)
    return [li.get_attribute("data-key") for li in driver.find_elements(By.CSS_SELECTOR, "#results li.result")]


def check_playback(driver):
    """Plays the first hit's matched span: the player loads from /api/items/KEY/audio and advances."""
    button = driver.find_element(By.CSS_SELECTOR, "#results li.result .play")
    WebDriverWait(driver, 20).until(lambda d: button.is_enabled())
    button.click()
    WebDriverWait(driver, 20, poll_frequency=0.2).until(
        lambda d: d.execute_script("const p = document.getElementById('player'); return !p.paused && p.currentTime > 0.2"))
    state = driver.execute_script(
        "const p = document.getElementById('player'); return [p.currentSrc, p.currentTime]")
    button.click()
    return state


def alignment_drawn(driver):
    return driver.execute_script("""
        const box = document.getElementById('alignment');
        if (box.hidden) return false;
        const c = document.getElementById('alignment-canvas');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] < 120 && data[i + 2] > 150 && data[i + 3] > 200) ink++;
        return ink > 50;""")


def test_upload(driver, url, query, artifacts):
    open_page(driver, url)
    driver.find_element(By.ID, "file-input").send_keys(str(query))
    keys = wait_for_ranking(driver)
    log(f"upload ranking: {keys[:5]}")
    assert keys[0] == EXPECTED, f"{EXPECTED} should be first, got {keys[:3]}"
    src, position = check_playback(driver)
    assert f"/api/items/{EXPECTED}/audio" in src, src
    log(f"played the matched span from {src} (at {position:.1f} s)")
    assert alignment_drawn(driver), "the alignment is drawn"
    screenshot(driver, artifacts / "upload-desktop.png", *DESKTOP)
    screenshot(driver, artifacts / "upload-phone.png", *PHONE)


def test_microphone(driver, url, artifacts, seconds):
    set_viewport(driver, *DESKTOP)
    open_page(driver, url)
    # Where the index offers humming the page asks what will be recorded (humming by default): music.
    if driver.find_element(By.ID, "hum-choice").is_displayed():
        driver.find_element(By.CSS_SELECTOR, 'input[name="source"][value="music"]').click()
    driver.find_element(By.ID, "record-button").click()
    WebDriverWait(driver, 10).until(EC.visibility_of_element_located((By.ID, "stop-button")))
    peak = 0.0
    end = time.time() + seconds
    while time.time() < end:
        width = driver.execute_script("return parseFloat(document.getElementById('meter-fill').style.width) || 0")
        peak = max(peak, width)
        time.sleep(0.25)
    screenshot(driver, artifacts / "recording-phone.png", *PHONE)
    set_viewport(driver, *DESKTOP)
    driver.find_element(By.ID, "stop-button").click()
    log(f"recorded {seconds:.0f} s from the fake microphone (level meter peak {peak:.0f} %)")
    assert peak > 5, "the level meter moved while recording"
    keys = wait_for_ranking(driver)
    log(f"microphone ranking: {keys[:5]}")
    assert keys[0] == EXPECTED, f"{EXPECTED} should be first, got {keys[:3]}"
    assert driver.find_element(By.ID, "query-audio").get_attribute("src").startswith("blob:"), "the recording can be replayed"
    screenshot(driver, artifacts / "microphone-desktop.png", *DESKTOP)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--refrain", default=".build/release/refrain")
    parser.add_argument("--work", default=".cache/browser")
    parser.add_argument("--artifacts", default="test-artifacts/browser")
    parser.add_argument("--record-seconds", type=float, default=10)
    args = parser.parse_args()
    refrain = Path(args.refrain).resolve()
    work = Path(args.work).resolve()
    artifacts = Path(args.artifacts).resolve()
    work.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in artifacts.glob("*.png"):
        old.unlink()

    index, query = build_index(refrain, work)
    server, url = start_server(refrain, index, artifacts / "server.log")
    passed, failed = 0, 0
    driver = None
    try:
        driver = make_driver(query, artifacts)
        for name, test in [("upload", lambda: test_upload(driver, url, query, artifacts)),
                           ("microphone", lambda: test_microphone(driver, url, artifacts, args.record_seconds))]:
            started = time.time()
            try:
                test()
                passed += 1
                log(f"PASS {name} ({time.time() - started:.1f} s)")
            except (AssertionError, TimeoutException, WebDriverException) as error:
                failed += 1
                log(f"FAIL {name}: {type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}")
                try:
                    driver.save_screenshot(str(artifacts / f"{name}-failure.png"))
                    for entry in driver.get_log("browser"):
                        log(f"console: {entry.get('message')}")
                except WebDriverException:
                    pass
    finally:
        if driver is not None:
            driver.quit()
        stop_server(server)
    requests = sum(1 for line in open(artifacts / "server.log") if re.search(r" (GET|POST) /", line))
    log(f"the server logged {requests} requests (see {artifacts / 'server.log'})")
    print(f"browser: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
