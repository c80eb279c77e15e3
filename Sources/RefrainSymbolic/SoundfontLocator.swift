import Foundation
import RefrainMath

/// Finds a General MIDI soundfont: an explicit path, else `$REFRAIN_SOUNDFONT`, else the places Debian's
/// soundfont packages install to (fluid-soundfont-gm first).
public enum SoundfontLocator {
    /// The environment variable naming a soundfont file.
    public static let environmentVariable = "REFRAIN_SOUNDFONT"

    /// Debian locations, best first: FluidR3_GM (fluid-soundfont-gm), MuseScore General
    /// (musescore-general-soundfont), TimGM6mb (timgm6mb-soundfont), FluidR3_GS (fluid-soundfont-gs), and the
    /// `default-GM` links that Debian's alternatives system maintains.
    public static let searchPaths = [
        "/usr/share/sounds/sf2/FluidR3_GM.sf2",
        "/usr/share/soundfonts/FluidR3_GM.sf2",
        "/usr/share/sounds/sf3/MuseScore_General.sf3",
        "/usr/share/sounds/sf2/MuseScore_General.sf2",
        "/usr/share/sounds/sf2/TimGM6mb.sf2",
        "/usr/share/sounds/sf2/FluidR3_GS.sf2",
        "/usr/share/sounds/sf2/default-GM.sf2",
        "/usr/share/sounds/sf3/default-GM.sf3",
        "/usr/share/soundfonts/default.sf2",
    ]

    /// The soundfont to use. `explicit` (a path) wins and must exist; then the environment variable; then
    /// `searchPaths`. Throws `.missingResource` naming the package to install when none is found.
    public static func locate(_ explicit: String? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              searchPaths: [String] = SoundfontLocator.searchPaths) throws -> String {
        let fm = FileManager.default
        if let explicit {
            guard fm.fileExists(atPath: explicit) else { throw RefrainError(.missingResource, "soundfont \(explicit) does not exist") }
            return explicit
        }
        if let env = environment[environmentVariable], !env.isEmpty {
            guard fm.fileExists(atPath: env) else {
                throw RefrainError(.missingResource, "soundfont \(env) (from \(environmentVariable)) does not exist")
            }
            return env
        }
        if let found = searchPaths.first(where: { fm.fileExists(atPath: $0) }) { return found }
        throw RefrainError(.missingResource,
                           "no General MIDI soundfont found in /usr/share/sounds/sf2 or /usr/share/soundfonts; install the Debian package fluid-soundfont-gm (apt-get install fluid-soundfont-gm), or pass --soundfont PATH or set \(environmentVariable)")
    }
}
