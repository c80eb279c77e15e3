import Foundation
import Refrain

/// What kind of file an upload is, from its media type or its file name, as the file-name extension the
/// engine reads it by (`.bytes(data, name: "upload.EXT")`): the engine never sees a client's name or path.
///
/// Browsers' `MediaRecorder` makes WebM (or MP4) with Opus or AAC, which libsndfile cannot decode: such
/// uploads get 415 with a sentence saying what to send (the page converts its recordings to WAV itself).
enum UploadFormat {
    /// Media types (lower case, without parameters) and the extension Refrain reads them as.
    static let byMediaType: [String: String] = [
        "audio/midi": "mid", "audio/mid": "mid", "audio/x-midi": "mid", "audio/sp-midi": "mid",
        "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav",
        "audio/flac": "flac", "audio/x-flac": "flac",
        "audio/ogg": "ogg", "audio/vorbis": "ogg", "audio/opus": "opus", "application/ogg": "ogg",
        "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mpeg3": "mp3",
        "audio/aiff": "aiff", "audio/x-aiff": "aiff",
    ]

    /// What every 415 says the server reads.
    static let accepted = "WAV, FLAC, Ogg, MP3, AIFF audio or a MIDI file (audio/wav, audio/flac, audio/ogg, audio/mpeg, audio/aiff, audio/midi)"

    /// The media type of a `Content-Type` value: lower case, parameters dropped.
    static func mediaType(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return type?.isEmpty == false ? type : nil
    }

    /// The extension for a media type, or a 415 saying what is read instead.
    static func fileExtension(mediaType: String?) throws -> String {
        guard let mediaType else {
            throw APIError(.unsupportedMediaType, "the request has no Content-Type; send \(accepted), or a multipart form with a file field")
        }
        if let ext = byMediaType[mediaType] { return ext }
        if mediaType == "audio/webm" || mediaType == "video/webm" || mediaType == "audio/mp4" || mediaType == "audio/aac" {
            throw APIError(.unsupportedMediaType, "\(mediaType) cannot be decoded here; send \(accepted) (convert a browser recording to WAV first)")
        }
        throw APIError(.unsupportedMediaType, "\(mediaType) is not a file Refrain reads; send \(accepted)")
    }

    /// The extension for a multipart file part: its file name's extension when Refrain reads that, else its
    /// media type's.
    static func fileExtension(fileName: String?, mediaType: String?) throws -> String {
        if let ext = fileName.map({ ($0 as NSString).pathExtension.lowercased() }),
           AnalysisSource.audioExtensions.contains(ext) || AnalysisSource.midiExtensions.contains(ext) {
            return ext
        }
        if let mediaType, mediaType != "application/octet-stream" { return try fileExtension(mediaType: mediaType) }
        throw APIError(.unsupportedMediaType, "the file part \(fileName.map { "'\(displayName($0))' " } ?? "")has no extension or media type Refrain reads; send \(accepted)")
    }

    /// The last component of a client's file name, at most 120 characters, for ids and messages only.
    static func displayName(_ fileName: String) -> String {
        let last = fileName.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = String(last.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }.map(Character.init))
        return clean.isEmpty ? "upload" : String(clean.prefix(120))
    }

    /// The media type to serve an indexed recording with, by its extension.
    static func audioMediaType(forExtension ext: String) -> String {
        switch ext.lowercased() {
        case "wav", "wave": return "audio/wav"
        case "flac": return "audio/flac"
        case "ogg", "oga", "opus": return "audio/ogg"
        case "mp3": return "audio/mpeg"
        case "aif", "aiff": return "audio/aiff"
        default: return "application/octet-stream"
        }
    }
}
