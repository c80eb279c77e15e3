import Foundation
import RefrainLearn
import RefrainMath

extension LinearMetric {
    /// A 2-D feature matrix from a `.npy` file.
    public static func features(fromNPY path: String) throws -> Matrix {
        let array = try NPY.read(URL(fileURLWithPath: path))
        guard array.shape.count == 2, array.shape[0] >= 1, array.shape[1] >= 1 else {
            throw RefrainError.invalidFile(path, "features must be a 2-D array (samples x dims), got shape \(array.shape)")
        }
        let x = try array.matrix()
        guard allFinite(x.storage) else { throw RefrainError.invalidFile(path, "features contain NaN or infinite values") }
        return x
    }

    /// Integer labels from a 1-D (or n x 1) `.npy` file.
    public static func labels(fromNPY path: String) throws -> [Int] {
        let array = try NPY.read(URL(fileURLWithPath: path))
        guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[1] == 1) else {
            throw RefrainError.invalidFile(path, "labels must be a 1-D array, got shape \(array.shape)")
        }
        let values = array.floats()
        guard values.allSatisfy({ $0.isFinite && $0 == $0.rounded() && abs($0) < 1e9 }) else {
            throw RefrainError.invalidFile(path, "labels must be integers")
        }
        return values.map { Int($0) }
    }
}
