#include "chnsw.h"
#include <hnswlib/hnswlib.h>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

struct chnsw_index {
    int32_t dim;
    chnsw_space space;
    std::unique_ptr<hnswlib::SpaceInterface<float>> metric;
    std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
    // hnswlib's searchKnn is safe to call concurrently, but setEf is shared state. Searches at the graph's
    // current ef share this lock and run side by side; a search at another ef takes it alone to change ef.
    mutable std::shared_mutex search_lock;
    mutable size_t current_ef = 0;
};

static void set_error(char *error, size_t capacity, const char *message) {
    if (error == nullptr || capacity == 0) return;
    std::strncpy(error, message, capacity - 1);
    error[capacity - 1] = '\0';
}

static std::unique_ptr<hnswlib::SpaceInterface<float>> make_space(int32_t dim, chnsw_space space) {
    if (space == CHNSW_L2) return std::make_unique<hnswlib::L2Space>(dim);
    return std::make_unique<hnswlib::InnerProductSpace>(dim);
}

// Cosine: vectors are normalized to unit length and compared by inner product (as hnswlib's Python binding does).
static const float *prepare(const chnsw_index *index, const float *vector, std::vector<float> &scratch) {
    if (index->space != CHNSW_COSINE) return vector;
    scratch.assign(vector, vector + index->dim);
    double norm = 0;
    for (float v : scratch) norm += double(v) * v;
    norm = std::sqrt(norm);
    if (norm > 0) for (float &v : scratch) v = float(v / norm);
    return scratch.data();
}

extern "C" chnsw_index *chnsw_create(int32_t dim, chnsw_space space, int32_t m, int32_t ef_construction,
                                     int64_t max_elements, int64_t seed, char *error, size_t error_capacity) {
    if (dim <= 0 || m < 2 || ef_construction <= 0 || max_elements <= 0) {
        set_error(error, error_capacity, "invalid HNSW parameters");
        return nullptr;
    }
    try {
        auto index = new chnsw_index();
        index->dim = dim;
        index->space = space;
        index->metric = make_space(dim, space);
        index->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(
            index->metric.get(), size_t(max_elements), size_t(m), size_t(ef_construction), size_t(seed));
        return index;
    } catch (const std::exception &e) {
        set_error(error, error_capacity, e.what());
        return nullptr;
    }
}

extern "C" chnsw_index *chnsw_load(const char *path, int32_t dim, chnsw_space space, int64_t max_elements,
                                   char *error, size_t error_capacity) {
    if (dim <= 0) {
        set_error(error, error_capacity, "invalid HNSW dimension");
        return nullptr;
    }
    chnsw_index *index = nullptr;
    try {
        index = new chnsw_index();
        index->dim = dim;
        index->space = space;
        index->metric = make_space(dim, space);
        index->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(
            index->metric.get(), std::string(path), false, size_t(max_elements > 0 ? max_elements : 0));
        if (index->graph->label_offset_ - index->graph->offsetData_ != size_t(dim) * sizeof(float)) {
            set_error(error, error_capacity, "HNSW file was built with another dimension");
            delete index;
            return nullptr;
        }
        return index;
    } catch (const std::exception &e) {
        set_error(error, error_capacity, e.what());
        delete index;
        return nullptr;
    }
}

extern "C" void chnsw_free(chnsw_index *index) { delete index; }

extern "C" int chnsw_add(chnsw_index *index, const float *vector, uint64_t label, char *error, size_t error_capacity) {
    try {
        if (index->graph->cur_element_count >= index->graph->max_elements_) {
            set_error(error, error_capacity, "HNSW graph is full");
            return -1;
        }
        std::vector<float> scratch;
        index->graph->addPoint(prepare(index, vector, scratch), hnswlib::labeltype(label));
        return 0;
    } catch (const std::exception &e) {
        set_error(error, error_capacity, e.what());
        return -1;
    }
}

extern "C" int chnsw_resize(chnsw_index *index, int64_t max_elements, char *error, size_t error_capacity) {
    try {
        if (max_elements < int64_t(index->graph->cur_element_count)) {
            set_error(error, error_capacity, "cannot shrink an HNSW graph below its point count");
            return -1;
        }
        index->graph->resizeIndex(size_t(max_elements));
        return 0;
    } catch (const std::exception &e) {
        set_error(error, error_capacity, e.what());
        return -1;
    }
}

extern "C" int chnsw_mark_deleted(chnsw_index *index, uint64_t label, char *error, size_t error_capacity) {
    try {
        index->graph->markDelete(hnswlib::labeltype(label));
        return 0;
    } catch (const std::exception &e) {
        set_error(error, error_capacity, e.what());
        return -1;
    }
}

extern "C" int64_t chnsw_search(const chnsw_index *index, const float *query, int32_t k, int32_t ef,
                                uint64_t *labels, float *distances, char *error, size_t error_capacity) {
    if (k <= 0) return 0;
    try {
        std::vector<float> scratch;
        const float *q = prepare(index, query, scratch);
        std::priority_queue<std::pair<float, hnswlib::labeltype>> result;
        const size_t wanted = size_t(ef < k ? k : ef);
        bool done = false;
        {
            std::shared_lock<std::shared_mutex> shared(index->search_lock);
            if (index->current_ef == wanted) {
                result = index->graph->searchKnn(q, size_t(k));
                done = true;
            }
        }
        if (!done) {
            std::unique_lock<std::shared_mutex> alone(index->search_lock);
            index->graph->setEf(wanted);
            index->current_ef = wanted;
            result = index->graph->searchKnn(q, size_t(k));
        }
        int64_t n = int64_t(result.size());
        for (int64_t i = n - 1; i >= 0; --i) {  // the queue pops farthest first
            labels[i] = uint64_t(result.top().second);
            distances[i] = result.top().first;
            result.pop();
        }
        return n;
    } catch (const std::exception &e) {
        set_error(error, error_capacity, e.what());
        return -1;
    }
}

extern "C" int chnsw_save(const chnsw_index *index, const char *path, char *error, size_t error_capacity) {
    try {
        index->graph->saveIndex(std::string(path));
        return 0;
    } catch (const std::exception &e) {
        set_error(error, error_capacity, e.what());
        return -1;
    }
}

extern "C" int64_t chnsw_count(const chnsw_index *index) { return int64_t(index->graph->cur_element_count); }
extern "C" int64_t chnsw_capacity(const chnsw_index *index) { return int64_t(index->graph->max_elements_); }
