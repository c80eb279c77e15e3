// The types of the modules below `Refrain` that its public API hands out or takes, named here so that an
// application imports `Refrain` alone. Each is the type itself (a type alias), documented where it is defined.
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainLearn
import RefrainMath
import RefrainSymbolic

// Errors, budgets, matrices, pictures (RefrainMath).
public typealias RefrainError = RefrainMath.RefrainError
public typealias ComputeBudget = RefrainMath.ComputeBudget
public typealias Matrix = RefrainMath.Matrix
public typealias FeatureSequence = RefrainMath.FeatureSequence
public typealias RGBImage = RefrainMath.RGBImage
public typealias NPY = RefrainMath.NPY
public typealias NPYArray = RefrainMath.NPYArray
public typealias ProcessMemory = RefrainMath.ProcessMemory

// Audio, features, scores, alignment.
public typealias AudioSignal = RefrainAudio.AudioSignal
public typealias AudioInfo = RefrainAudio.AudioInfo
public typealias AudioDecoder = RefrainAudio.AudioDecoder
public typealias BeatTrack = RefrainFeatures.BeatTrack
public typealias FrequencyAggregate = RefrainFeatures.FrequencyAggregate
public typealias MIDIScore = RefrainSymbolic.MIDIScore
public typealias MelodyNote = RefrainSymbolic.MelodyNote
public typealias PathStep = RefrainAlign.PathStep

// The index: items, results, query sets, metrics, progress.
public typealias IndexedItem = RefrainIndex.IndexedItem
public typealias ItemKind = RefrainIndex.ItemKind
public typealias AddJob = RefrainIndex.AddJob
public typealias AddReport = RefrainIndex.AddReport
public typealias Manifest = RefrainIndex.Manifest
public typealias QueryResult = RefrainIndex.QueryResult
public typealias QueryResultsFile = RefrainIndex.QueryResultsFile
public typealias RankedItem = RefrainIndex.RankedItem
public typealias PathPoint = RefrainIndex.PathPoint
public typealias QueriesFile = RefrainIndex.QueriesFile
public typealias EvalQuery = RefrainIndex.EvalQuery
public typealias RetrievalMetrics = RefrainIndex.RetrievalMetrics
public typealias ProgressReporter = RefrainIndex.ProgressReporter
public typealias IndexStats = RefrainIndex.IndexStats
public typealias EncoderRecord = RefrainIndex.EncoderRecord
public typealias StoredDType = RefrainIndex.StoredDType
public typealias StageSpec = RefrainIndex.StageSpec
public typealias ShingleSettings = RefrainIndex.ShingleSettings
public typealias ShingleReducerKind = RefrainIndex.ShingleReducerKind
public typealias LearnedShingleReducer = RefrainIndex.LearnedShingleReducer
public typealias MIDIRenderer = RefrainSymbolic.MIDIRenderer
public typealias AudioFileFormat = RefrainAudio.AudioFileFormat
public typealias Heatmap = RefrainMath.Heatmap
public typealias Colormap = RefrainMath.Colormap

// Linear metric learning (RefrainLearn).
public typealias LinearMetric = RefrainLearn.LinearMetric
public typealias ModelFile = RefrainLearn.ModelFile
public typealias ShingleTransform = RefrainIndex.ShingleTransform
