#include "chnsw.h"
#include <hnswlib/hnswlib.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
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

namespace {
[[noreturn]] void corrupted() { throw std::runtime_error("Index seems to be corrupted or unsupported"); }

// Reads plain values from a byte buffer, refusing to read past its end.
struct ByteReader {
    const char *data;
    size_t size;
    size_t at = 0;
    template <typename T> T pod() {
        if (size - at < sizeof(T)) corrupted();
        T value;
        std::memcpy(&value, data + at, sizeof(T));
        at += sizeof(T);
        return value;
    }
    const char *take(size_t n) {
        if (size - at < n) corrupted();
        const char *p = data + at;
        at += n;
        return p;
    }
};

bool multiply(size_t a, size_t b, size_t &out) {
    if (a != 0 && b > std::numeric_limits<size_t>::max() / a) return false;
    out = a * b;
    return true;
}

// Whether a link list of layer `layer` (count in its low 16 bits, then up to `capacity` ids) names only
// existing points that reach that layer (a search follows a layer's links on that layer).
bool links_ok(const char *list, size_t capacity, const std::vector<int> &levels, int layer) {
    unsigned short count;
    std::memcpy(&count, list, sizeof(count));
    if (count > capacity) return false;
    for (size_t k = 0; k < count; ++k) {
        hnswlib::tableint id;
        std::memcpy(&id, list + sizeof(hnswlib::linklistsizeint) + k * sizeof(id), sizeof(id));
        if (id >= levels.size() || levels[id] < layer) return false;
    }
    return true;
}
}  // namespace

// Fills `g` (made with hnswlib's empty constructor) from a file written by `saveIndex`: hnswlib's own
// `loadIndex`, but the file is read once into memory. The library's loader checks a file with two lseek
// calls per point, 0.7 s of a 1.2 s command-line query at 900,000 points. Everything is checked before
// anything is allocated: the header's sizes agree with this dimension and with each other, the link lists
// fill the file exactly, every link names an existing point that reaches the link's layer, and the entry
// point is on the top layer (a hostile file could otherwise send a search outside the graph); the memory
// allocated is what the file's points need, whatever capacity the header claims. Fuzzed by scripts/fuzz.sh.
static void load_graph(hnswlib::HierarchicalNSW<float> &g, const std::string &path, hnswlib::SpaceInterface<float> *space,
                       size_t max_elements_wanted) {
    using hnswlib::labeltype;
    using hnswlib::linklistsizeint;
    using hnswlib::tableint;
    // The empty constructor leaves these unset; the destructor must find them harmless if loading fails.
    g.data_level0_memory_ = nullptr;
    g.linkLists_ = nullptr;
    g.visited_list_pool_ = nullptr;
    g.cur_element_count = 0;
    g.num_deleted_ = 0;

    std::ifstream input(path, std::ios::binary | std::ios::ate);
    if (!input.is_open()) throw std::runtime_error("Cannot open file");
    const std::streamoff total = input.tellg();
    if (total < 0) throw std::runtime_error("Cannot read file");
    std::vector<char> bytes(static_cast<size_t>(total));
    input.seekg(0);
    if (!input.read(bytes.data(), total)) throw std::runtime_error("Cannot read file");
    ByteReader r{bytes.data(), bytes.size()};

    const size_t offset_level0 = r.pod<size_t>(), saved_max = r.pod<size_t>(), count = r.pod<size_t>();
    const size_t per_element = r.pod<size_t>(), label_offset = r.pod<size_t>(), offset_data = r.pod<size_t>();
    const int max_level = r.pod<int>();
    const tableint entry = r.pod<tableint>();
    const size_t max_m = r.pod<size_t>(), max_m0 = r.pod<size_t>(), m = r.pod<size_t>();
    const double mult = r.pod<double>();
    const size_t ef_construction = r.pod<size_t>();

    const size_t data_size = space->get_data_size();
    if (label_offset > offset_data && label_offset - offset_data != data_size)
        throw std::runtime_error("HNSW file was built with another dimension");
    if (max_m == 0 || max_m > 10000 || max_m0 == 0 || max_m0 > 20000 || m == 0 || !(mult > 0) || max_level < -1 || max_level > 64)
        corrupted();
    const size_t links0 = max_m0 * sizeof(tableint) + sizeof(linklistsizeint);
    const size_t links = max_m * sizeof(tableint) + sizeof(linklistsizeint);
    if (offset_level0 != 0 || offset_data != links0 || label_offset != links0 + data_size ||
        per_element != links0 + data_size + sizeof(labeltype))
        corrupted();
    if (count > saved_max || count >= std::numeric_limits<tableint>::max() ||
        (count == 0 ? max_level != -1 : (entry >= count || max_level < 0)))
        corrupted();
    size_t level0_bytes;
    if (!multiply(count, per_element, level0_bytes)) corrupted();
    const char *level0 = r.take(level0_bytes);
    const size_t lists_start = r.at;
    std::vector<int> levels(count);
    std::vector<const char *> upper(count);
    for (size_t i = 0; i < count; ++i) {
        const unsigned size = r.pod<unsigned>();
        if (size % links != 0 || size / links > size_t(max_level)) corrupted();
        levels[i] = int(size / links);
        upper[i] = r.take(size);
    }
    if (r.at != bytes.size()) corrupted();
    for (size_t i = 0; i < count; ++i) {
        if (!links_ok(level0 + i * per_element, max_m0, levels, 0)) corrupted();
        for (int layer = 1; layer <= levels[i]; ++layer)
            if (!links_ok(upper[i] + (layer - 1) * links, max_m, levels, layer)) corrupted();
    }
    if (count > 0 && levels[entry] != max_level) corrupted();

    // Room for the points in the file (or `max_elements_wanted`), not the capacity the header claims: a
    // hostile header could claim any size, and adding beyond this grows the graph (`chnsw_resize`).
    const size_t capacity = std::max<size_t>(std::max(count, max_elements_wanted), 1);
    size_t capacity_bytes;
    if (!multiply(capacity, per_element, capacity_bytes)) corrupted();
    g.offsetLevel0_ = offset_level0;
    g.max_elements_ = capacity;
    g.size_data_per_element_ = per_element;
    g.label_offset_ = label_offset;
    g.offsetData_ = offset_data;
    g.maxlevel_ = max_level;
    g.enterpoint_node_ = entry;
    g.maxM_ = max_m;
    g.maxM0_ = max_m0;
    g.M_ = m;
    g.mult_ = mult;
    g.ef_construction_ = ef_construction;
    g.data_size_ = data_size;
    g.fstdistfunc_ = space->get_dist_func();
    g.dist_func_param_ = space->get_dist_func_param();
    g.size_links_per_element_ = links;
    g.size_links_level0_ = links0;
    g.revSize_ = 1.0 / mult;
    g.ef_ = 10;

    g.data_level0_memory_ = static_cast<char *>(malloc(capacity_bytes));
    if (g.data_level0_memory_ == nullptr) throw std::runtime_error("Not enough memory to load the graph");
    std::memcpy(g.data_level0_memory_, level0, level0_bytes);
    std::vector<std::mutex>(capacity).swap(g.link_list_locks_);
    std::vector<std::mutex>(hnswlib::HierarchicalNSW<float>::max_update_element_locks).swap(g.link_list_update_locks_);
    g.visited_list_pool_ = new hnswlib::VisitedListPool(1, capacity);
    g.linkLists_ = static_cast<char **>(malloc(sizeof(void *) * capacity));
    if (g.linkLists_ == nullptr) throw std::runtime_error("Not enough memory to load the graph");
    g.element_levels_ = std::vector<int>(capacity);
    g.label_lookup_.reserve(count);
    r.at = lists_start;
    for (size_t i = 0; i < count; ++i) {
        g.label_lookup_[g.getExternalLabel(tableint(i))] = tableint(i);
        const unsigned size = r.pod<unsigned>();
        g.element_levels_[i] = int(size / links);
        g.linkLists_[i] = nullptr;
        if (size > 0) {
            g.linkLists_[i] = static_cast<char *>(malloc(size));
            if (g.linkLists_[i] == nullptr) throw std::runtime_error("Not enough memory to load the graph");
            std::memcpy(g.linkLists_[i], r.take(size), size);
        }
        g.cur_element_count = i + 1;  // the destructor frees what is loaded so far
        if (g.isMarkedDeleted(tableint(i))) g.num_deleted_ += 1;
    }
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
        index->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(index->metric.get());
        load_graph(*index->graph, std::string(path), index->metric.get(), size_t(max_elements > 0 ? max_elements : 0));
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
