#pragma once
// A C interface over hnswlib's HierarchicalNSW (Malkov & Yashunin 2018, "Efficient and robust approximate
// nearest neighbor search using Hierarchical Navigable Small World graphs"). Opaque handle; every call that
// can fail returns 0 on success and writes a message into `error` (at most `error_capacity` bytes).
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct chnsw_index chnsw_index;

/// Distance spaces: squared L2, inner product (1 - <a,b>), cosine (inner product of L2-normalized vectors).
typedef enum { CHNSW_L2 = 0, CHNSW_IP = 1, CHNSW_COSINE = 2 } chnsw_space;

/// A new empty graph of `dim`-dimensional float vectors with room for `max_elements` points; NULL on failure.
chnsw_index *chnsw_create(int32_t dim, chnsw_space space, int32_t m, int32_t ef_construction,
                          int64_t max_elements, int64_t seed, char *error, size_t error_capacity);
/// Loads a graph saved by `chnsw_save`; `dim` and `space` must be those it was built with. NULL on failure.
chnsw_index *chnsw_load(const char *path, int32_t dim, chnsw_space space, int64_t max_elements,
                        char *error, size_t error_capacity);
void chnsw_free(chnsw_index *index);

/// Adds one vector of `dim` floats under `label`. Fails when the graph is full (see `chnsw_resize`).
int chnsw_add(chnsw_index *index, const float *vector, uint64_t label, char *error, size_t error_capacity);
/// Grows (never shrinks below the current count) the capacity to `max_elements`.
int chnsw_resize(chnsw_index *index, int64_t max_elements, char *error, size_t error_capacity);
/// Marks `label` deleted: it is never returned again by searches (persisted by `chnsw_save`).
int chnsw_mark_deleted(chnsw_index *index, uint64_t label, char *error, size_t error_capacity);
/// The `k` nearest neighbours of `query` with search breadth `ef` (>= k). Writes up to `k` labels and
/// distances, nearest first; returns how many were found, or -1 on failure.
int64_t chnsw_search(const chnsw_index *index, const float *query, int32_t k, int32_t ef,
                     uint64_t *labels, float *distances, char *error, size_t error_capacity);
/// Writes the graph to `path`.
int chnsw_save(const chnsw_index *index, const char *path, char *error, size_t error_capacity);
/// Points added so far (deleted ones included).
int64_t chnsw_count(const chnsw_index *index);
/// Current capacity.
int64_t chnsw_capacity(const chnsw_index *index);

#ifdef __cplusplus
}
#endif
