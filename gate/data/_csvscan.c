/* The compiled CSV scanner of gate.data.readers (an optional C extension): large plain CSV files read
 * without pyarrow, with the same table as readers._split_csv and the same floats as align._cell_numbers.
 *
 * The rules it keeps:
 * - scan() declines (returns None) exactly where readers._split_csv declines, so that the csv module
 *   then reads the file with its exact messages: a quote, a NUL, a CR not followed by LF, an empty line
 *   (a line of just CR too: _split_csv reads CRLF as LF first), a line whose comma count is not
 *   width - 1, no data line; and a file of 2^32 - 1 bytes or more, whose offsets would not fit.
 *   Otherwise it returns the start offset (uint32, absolute in the file) of every field of every data
 *   line, plus one sentinel one past the last separator (len + 1 when the file does not end in LF),
 *   so field k spans [starts[k], starts[k+1] - 1), minus a trailing CR.
 * - strings() decodes one column's cells as UTF-8 (the caller validated the whole file before);
 *   encode() dictionary-encodes one column (codes, and a str for each distinct cell only).
 * - plain_ids() says whether an id column is what align._cell_ids accepts without Python strings (plain
 *   ASCII ids, all distinct); join() gives each id of one such column its row in another. These, same()
 *   and strings() also take a pyarrow string array's value bytes and int32 offsets for a column (width
 *   0, column 0: a Parquet file's ids, hashed instead of sorted).
 * - text_numbers() is numbers() of the cells of a pyarrow string array (pyarrow's CSV columns): the
 *   same rules, instead of a regular expression over the cells and pyarrow's cast.
 * - numbers() gives float() of each picked cell bit for bit, or None when any cell is not a finite
 *   ASCII decimal number as align._cell_numbers accepts it: only the characters 0-9 + - . e E, space
 *   and tab; spaces and tabs stripped at both ends; sign? (D+ ('.' D*)? | '.' D+) ([eE] sign? D+)?;
 *   a finite result. A cell of at most 19 digits whose integer (the point dropped) is at most 2^53,
 *   with a decimal exponent within +-22, is one IEEE multiply or divide of two exact doubles
 *   (Clinger's fast path: correctly rounded, so equal to Python's correctly rounded float()); a cell
 *   of zeros is a signed zero; any other cell goes to PyOS_string_to_double, which float() calls, on a
 *   NUL-terminated copy of its stripped text, with the GIL held.
 *
 * Built by setup.py as an optional extension next to gate.resampling._ckernels (same flags): without
 * a C compiler the install goes on and the readers split the decoded text in Python (same tables,
 * slower). The functions take their arrays through the buffer protocol (no numpy headers); scan and
 * the fast path of numbers run without the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define FIELD_END(starts, k) ((Py_ssize_t)(starts)[(k) + 1] - 1)

/* The data lines of raw[begin:n] into starts (room for exactly lines * width + 1 offsets); 0 when
 * _split_csv would decline. */
static int scan_lines(const unsigned char *raw, Py_ssize_t n, Py_ssize_t begin, Py_ssize_t width,
                      uint32_t *starts) {
    Py_ssize_t i = begin, k = 0;
    starts[k++] = (uint32_t)begin;
    while (i < n) {
        Py_ssize_t line = i, commas = 0;
        for (; i < n; i++) {
            unsigned char c = raw[i];
            if (c > ',') continue;
            if (c == ',') {
                if (++commas >= width) return 0;
                starts[k++] = (uint32_t)(i + 1);
            } else if (c == '\n') {
                break;
            } else if (c == '\r') {
                if (i + 1 >= n || raw[i + 1] != '\n') return 0;
            } else if (c == '"' || c == 0) {
                return 0;
            }
        }
        Py_ssize_t length = i - line;
        if (length == 0 || (length == 1 && raw[line] == '\r') || commas != width - 1) return 0;
        starts[k++] = (uint32_t)(i + 1);          /* past the LF, or the sentinel len + 1 */
        i++;
    }
    return 1;
}

/* Whether a function got its number of arguments (else a TypeError is set). */
static int expect_args(Py_ssize_t nargs, Py_ssize_t want) {
    if (nargs == want) return 1;
    PyErr_Format(PyExc_TypeError, "expected %zd arguments, got %zd", want, nargs);
    return 0;
}

/* scan(raw, begin, width) -> bytes | None */
static PyObject *scan(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (!expect_args(nargs, 3)) return NULL;
    Py_ssize_t begin = PyLong_AsSsize_t(args[1]);
    if (begin == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t width = PyLong_AsSsize_t(args[2]);
    if (width == -1 && PyErr_Occurred()) return NULL;
    Py_buffer raw;
    if (PyObject_GetBuffer(args[0], &raw, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = raw.len;
    const unsigned char *data = raw.buf;
    if (begin < 0 || begin > n || width < 1) {
        PyErr_SetString(PyExc_ValueError, "begin must be within raw and width at least 1");
        goto done;
    }
    if (n >= (Py_ssize_t)UINT32_MAX || begin == n) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    Py_ssize_t lines = 0;
    for (const unsigned char *p = data + begin, *end = data + n;
         (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        lines++;
    if (data[n - 1] != '\n') lines++;
    if (lines > (PY_SSIZE_T_MAX / 4 - 1) / width) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    Py_ssize_t count = lines * width + 1;
    result = PyBytes_FromStringAndSize(NULL, count * 4);
    if (result == NULL) goto done;
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = scan_lines(data, n, begin, width, (uint32_t *)PyBytes_AS_STRING(result));
    Py_END_ALLOW_THREADS
    if (!ok) {
        Py_DECREF(result);
        result = Py_None;
        Py_INCREF(result);
    }
done:
    PyBuffer_Release(&raw);
    return result;
}

/* The raw bytes, the offsets from scan(), a column and the width, checked. */
typedef struct {
    Py_buffer raw, starts;
    Py_ssize_t column, width, n_rows;
    int arrow;      /* starts are a pyarrow string array's int32 offsets: cell k is raw[starts[k]:starts[k+1]] */
} Cells;

/* Whether c's starts are a pyarrow string array's len + 1 int32 offsets, increasing and within raw;
 * sets n_rows. */
static int arrow_offsets_ok(Cells *c) {
    Py_ssize_t count = c->starts.len / 4;
    const int32_t *offsets = c->starts.buf;
    int ok = c->starts.len % 4 == 0 && count >= 1;
    for (Py_ssize_t i = 0; ok && i < count; i++)
        ok = offsets[i] >= 0 && offsets[i] <= c->raw.len && (i == 0 || offsets[i] >= offsets[i - 1]);
    c->n_rows = count - 1;
    return ok;
}

/* args: raw, starts, column, width; a column of -1 is checked by the caller (numbers' tuple of columns).
 * A width of 0 (column 0) takes raw and starts as a pyarrow string array's value bytes and offsets. */
static int get_cells(PyObject *const *args, Cells *c, int one_column) {
    c->arrow = 0;
    c->column = one_column ? PyLong_AsSsize_t(args[2]) : 0;
    if (c->column == -1 && PyErr_Occurred()) return 0;
    c->width = PyLong_AsSsize_t(args[3]);
    if (c->width == -1 && PyErr_Occurred()) return 0;
    if (PyObject_GetBuffer(args[0], &c->raw, PyBUF_SIMPLE) < 0) return 0;
    if (PyObject_GetBuffer(args[1], &c->starts, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&c->raw);
        return 0;
    }
    if (c->width == 0 && c->column == 0) {
        c->arrow = 1;
        c->width = 1;
        if (arrow_offsets_ok(c)) return 1;
        PyErr_SetString(PyExc_ValueError, "offsets: expected increasing int32 offsets within data");
        PyBuffer_Release(&c->starts);
        PyBuffer_Release(&c->raw);
        return 0;
    }
    Py_ssize_t count = c->starts.len / 4;
    if (c->width < 1 || c->column < 0 || c->column >= c->width || c->starts.len % 4 || count < 1
        || (count - 1) % c->width) {
        PyErr_SetString(PyExc_ValueError, "starts: expected uint32 offsets of rows x width + 1 fields, "
                                          "and 0 <= column < width");
    } else {
        const uint32_t *starts = c->starts.buf;
        c->n_rows = (count - 1) / c->width;
        if ((Py_ssize_t)starts[count - 1] > c->raw.len + 1) {
            PyErr_SetString(PyExc_ValueError, "starts: an offset past the end of raw");
        } else {
            return 1;
        }
    }
    PyBuffer_Release(&c->starts);
    PyBuffer_Release(&c->raw);
    return 0;
}

static void release_cells(Cells *c) {
    PyBuffer_Release(&c->starts);
    PyBuffer_Release(&c->raw);
}

/* Field k of the scanned file: its first byte and length (a trailing CR dropped). */
static inline const char *field(const Cells *c, Py_ssize_t k, Py_ssize_t *length) {
    const char *raw = c->raw.buf;
    if (c->arrow) {         /* offsets checked increasing and within raw by text_numbers */
        const int32_t *offsets = c->starts.buf;
        *length = offsets[k + 1] - offsets[k];
        return raw + offsets[k];
    }
    const uint32_t *starts = c->starts.buf;
    Py_ssize_t s = starts[k], e = FIELD_END(starts, k);
    if (e > c->raw.len) e = c->raw.len;      /* (these two only for offsets scan() did not make) */
    if (s > e) s = e;
    if (e > s && raw[e - 1] == '\r') e--;
    *length = e - s;
    return raw + s;
}

/* strings(raw, starts, column, width) -> list[str] */
static PyObject *strings(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (!expect_args(nargs, 4)) return NULL;
    Cells c;
    if (!get_cells(args, &c, 1)) return NULL;
    PyObject *out = PyList_New(c.n_rows);
    for (Py_ssize_t r = 0; out != NULL && r < c.n_rows; r++) {
        Py_ssize_t length;
        const char *text = field(&c, r * c.width + c.column, &length);
        PyObject *cell = PyUnicode_DecodeUTF8(text, length, NULL);
        if (cell == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, r, cell);
    }
    release_cells(&c);
    return out;
}

static inline int is_digit(char c) { return (unsigned char)(c - '0') < 10; }

/* A 64-bit hash of a cell's bytes (SplitMix64's finaliser over 8-byte words; any equal bytes hash equal). */
static inline uint64_t hash_bytes(const char *text, Py_ssize_t length) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)length;
    Py_ssize_t i = 0;
    for (; i + 8 <= length; i += 8) {
        uint64_t w;
        memcpy(&w, text + i, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    uint64_t tail = 0;
    memcpy(&tail, text + i, (size_t)(length - i));
    h = (h ^ tail) * 0x94D049BB133111EBULL;
    return h ^ (h >> 29);
}

/* encode(raw, starts, column, width) -> (codes, distinct): each cell's index (int32, as bytes) into the
 * distinct cells in order of first appearance, and those cells as str: readers.TextCells.encoded of the
 * column's strings (two cells are the same str exactly when they are the same bytes: the file is
 * valid UTF-8), with a str built for each distinct cell only. An open-addressing table of the first
 * cell of each distinct value, doubled at half full. */
static PyObject *encode(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (!expect_args(nargs, 4)) return NULL;
    Cells c;
    if (!get_cells(args, &c, 1)) return NULL;
    if (c.n_rows > INT32_MAX) {   /* (offsets are 32-bit: a file of under 4 GiB has fewer rows) */
        PyErr_SetString(PyExc_OverflowError, "too many rows for int32 codes");
        return NULL;
    }
    PyObject *codes = PyBytes_FromStringAndSize(NULL, c.n_rows * 4), *distinct = PyList_New(0), *result = NULL;
    Py_ssize_t capacity = 1024, used = 0;
    int64_t *table = PyMem_Malloc(capacity * sizeof(int64_t));     /* row of a distinct value's first cell, or -1 */
    int64_t *index_of = PyMem_Malloc(capacity * sizeof(int64_t));  /* its code */
    if (codes == NULL || distinct == NULL || table == NULL || index_of == NULL) goto done;
    for (Py_ssize_t i = 0; i < capacity; i++) table[i] = -1;
    int32_t *out = (int32_t *)PyBytes_AS_STRING(codes);
    for (Py_ssize_t r = 0; r < c.n_rows; r++) {
        Py_ssize_t length;
        const char *text = field(&c, r * c.width + c.column, &length);
        Py_ssize_t slot = (Py_ssize_t)(hash_bytes(text, length) & (uint64_t)(capacity - 1));
        for (;; slot = (slot + 1) & (capacity - 1)) {
            if (table[slot] < 0) break;
            Py_ssize_t other_length;
            const char *other = field(&c, (Py_ssize_t)table[slot] * c.width + c.column, &other_length);
            if (other_length == length && memcmp(other, text, (size_t)length) == 0) break;
        }
        if (table[slot] >= 0) {
            out[r] = (int32_t)index_of[slot];
            continue;
        }
        PyObject *cell = PyUnicode_DecodeUTF8(text, length, NULL);
        if (cell == NULL || PyList_Append(distinct, cell) < 0) {
            Py_XDECREF(cell);
            goto done;
        }
        Py_DECREF(cell);
        table[slot] = r;
        index_of[slot] = used;
        out[r] = (int32_t)used++;
        if (2 * used > capacity) {          /* grow: re-insert every first cell */
            Py_ssize_t bigger = 2 * capacity;
            int64_t *t2 = PyMem_Malloc(bigger * sizeof(int64_t)), *i2 = PyMem_Malloc(bigger * sizeof(int64_t));
            if (t2 == NULL || i2 == NULL) {
                PyMem_Free(t2);
                PyMem_Free(i2);
                PyErr_NoMemory();
                goto done;
            }
            for (Py_ssize_t i = 0; i < bigger; i++) t2[i] = -1;
            for (Py_ssize_t i = 0; i < capacity; i++) {
                if (table[i] < 0) continue;
                Py_ssize_t l;
                const char *t = field(&c, (Py_ssize_t)table[i] * c.width + c.column, &l);
                Py_ssize_t s2 = (Py_ssize_t)(hash_bytes(t, l) & (uint64_t)(bigger - 1));
                while (t2[s2] >= 0) s2 = (s2 + 1) & (bigger - 1);
                t2[s2] = table[i];
                i2[s2] = index_of[i];
            }
            PyMem_Free(table);
            PyMem_Free(index_of);
            table = t2;
            index_of = i2;
            capacity = bigger;
        }
    }
    result = PyTuple_Pack(2, codes, distinct);
done:
    if (result == NULL && !PyErr_Occurred()) PyErr_NoMemory();
    PyMem_Free(table);
    PyMem_Free(index_of);
    Py_XDECREF(codes);
    Py_XDECREF(distinct);
    release_cells(&c);
    return result;
}

/* A hash set of the cells of one column, sized up front for all of them (at most 2/3 full): each slot
 * holds the row of its cell (-1: empty) next to the cell's hash, so a probe touches one cache line
 * (two separate arrays cost two memory accesses per row at 10^7 rows), and a different hash needs no
 * look at the cell. */
typedef struct {
    int64_t row;
    uint64_t hash;
} CellSlot;

typedef struct {
    CellSlot *slots;
    Py_ssize_t capacity;
} CellSet;

static int set_init(CellSet *set, Py_ssize_t expected) {
    set->capacity = 1024;
    while (set->capacity < expected + expected / 2) set->capacity *= 2;
    set->slots = PyMem_Malloc((size_t)set->capacity * sizeof(CellSlot));
    if (set->slots == NULL) return 0;
    for (Py_ssize_t i = 0; i < set->capacity; i++) set->slots[i].row = -1;
    return 1;
}

static void set_free(CellSet *set) {
    PyMem_Free(set->slots);
}

/* The slot of the cell text[0:length] (hash h) in set (of c's cells): where it is, or the empty slot it
 * would take. */
static Py_ssize_t set_slot(const CellSet *set, const Cells *c, const char *text, Py_ssize_t length, uint64_t h) {
    Py_ssize_t slot = (Py_ssize_t)(h & (uint64_t)(set->capacity - 1));
    for (;; slot = (slot + 1) & (set->capacity - 1)) {
        if (set->slots[slot].row < 0) return slot;
        if (set->slots[slot].hash != h) continue;
        Py_ssize_t other_length;
        const char *other = field(c, (Py_ssize_t)set->slots[slot].row * c->width + c->column, &other_length);
        if (other_length == length && memcmp(other, text, (size_t)length) == 0) return slot;
    }
}

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif
#define AHEAD 16       /* rows hashed ahead, their slots fetched while earlier rows are inserted */

/* The hash of row r's cell of c. */
static inline uint64_t row_hash(const Cells *c, Py_ssize_t r) {
    Py_ssize_t length;
    const char *text = field(c, r * c->width + c->column, &length);
    return hash_bytes(text, length);
}

/* Every row of c, distinct cells only (set sized for all of them up front: no growth); 0 at a repeat.
 * Row r + AHEAD's slot is fetched into the cache while row r is inserted (a table of 10^7 cells is
 * far larger than the cache: one memory access per row otherwise stalls). */
static int set_of_distinct(CellSet *set, const Cells *c) {
    uint64_t ahead[AHEAD], mask = (uint64_t)(set->capacity - 1);
    for (Py_ssize_t r = 0; r < AHEAD && r < c->n_rows; r++) {
        ahead[r] = row_hash(c, r);
        PREFETCH(set->slots + (ahead[r] & mask));
    }
    for (Py_ssize_t r = 0; r < c->n_rows; r++) {
        Py_ssize_t length;
        const char *text = field(c, r * c->width + c->column, &length);
        uint64_t h = ahead[r % AHEAD];
        if (r + AHEAD < c->n_rows) {
            uint64_t next = row_hash(c, r + AHEAD);
            ahead[r % AHEAD] = next;
            PREFETCH(set->slots + (next & mask));
        }
        Py_ssize_t slot = set_slot(set, c, text, length, h);
        if (set->slots[slot].row >= 0) return 0;
        set->slots[slot].row = r;
        set->slots[slot].hash = h;
    }
    return 1;
}

/* Whether columns a and b hold the same cells in the same order (paired exports: no hashing). */
static int same_cells(const Cells *a, const Cells *b) {
    if (a->n_rows != b->n_rows) return 0;
    for (Py_ssize_t r = 0; r < a->n_rows; r++) {
        Py_ssize_t la, lb;
        const char *ta = field(a, r * a->width + a->column, &la), *tb = field(b, r * b->width + b->column, &lb);
        if (la != lb || memcmp(ta, tb, (size_t)la) != 0) return 0;
    }
    return 1;
}

/* Whether an id cell is its own id text as align._cell_ids accepts it, for all-ASCII cells: not empty,
 * no ASCII whitespace (str.isspace: 9-13, 28-32) at either end, and not an integral float
 * ([+-]?[0-9]+\.0+, which align._text rewrites: "5.00" -> "5"). 0 also for a non-ASCII byte (NFC and
 * Unicode whitespace are the Python path's). */
static int plain_id(const char *text, Py_ssize_t length) {
    if (length == 0) return 0;
    unsigned char first = (unsigned char)text[0], last = (unsigned char)text[length - 1];
    if ((first >= 9 && first <= 13) || (first >= 28 && first <= 32)) return 0;
    if ((last >= 9 && last <= 13) || (last >= 28 && last <= 32)) return 0;
    Py_ssize_t i = 0, digits = 0;
    for (Py_ssize_t j = 0; j < length; j++)
        if ((unsigned char)text[j] >= 0x80) return 0;
    if (text[0] == '+' || text[0] == '-') i++;
    while (i < length && is_digit(text[i])) i++, digits++;
    if (digits == 0 || i >= length || text[i] != '.' || i + 1 >= length) return 1;
    for (i++; i < length; i++)
        if (text[i] != '0') return 1;
    return 0;
}

/* plain_ids(raw, starts, column, width) -> bool: every cell a plain ASCII id (plain_id) and all distinct:
 * what align._cell_ids accepts, decided on the bytes. False sends the column to the Python checks, which
 * accept non-ASCII ids in NFC and name a repeated or bad id. */
static PyObject *plain_ids(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (!expect_args(nargs, 4)) return NULL;
    Cells c;
    if (!get_cells(args, &c, 1)) return NULL;
    int ok = 1;
    for (Py_ssize_t r = 0; ok && r < c.n_rows; r++) {
        Py_ssize_t length;
        const char *text = field(&c, r * c.width + c.column, &length);
        ok = plain_id(text, length);
    }
    CellSet set = {NULL, 0};
    if (ok && !set_init(&set, c.n_rows)) {
        set_free(&set);
        release_cells(&c);
        return PyErr_NoMemory();
    }
    if (ok) ok = set_of_distinct(&set, &c);
    set_free(&set);
    release_cells(&c);
    return PyBool_FromLong(ok);
}

/* args: a_raw, a_starts, a_column, a_width, b_raw, b_starts, b_column, b_width, checked into a and b. */
static int get_two_cells(PyObject *const *args, Py_ssize_t nargs, Cells *a, Cells *b) {
    if (!expect_args(nargs, 8)) return 0;
    if (!get_cells(args, a, 1)) return 0;
    if (!get_cells(args + 4, b, 1)) {
        release_cells(a);
        return 0;
    }
    return 1;
}

/* same(a_raw, a_starts, a_column, a_width, b_raw, b_starts, b_column, b_width) -> bool: whether the two
 * columns hold the same cells in the same order (a paired baseline that lists the candidate's ids). */
static PyObject *same(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    Cells a, b;
    if (!get_two_cells(args, nargs, &a, &b)) return NULL;
    int equal = same_cells(&a, &b);
    release_cells(&b);
    release_cells(&a);
    return PyBool_FromLong(equal);
}

/* join(a_raw, a_starts, a_column, a_width, b_raw, b_starts, b_column, b_width) -> bytes: for each cell of
 * column a, the row of the equal cell of column b (int64; -1 when b has none). b's cells are distinct
 * (plain_ids checked them). */
static PyObject *join(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    Cells a, b;
    if (!get_two_cells(args, nargs, &a, &b)) return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, a.n_rows * 8);
    CellSet set = {NULL, 0};
    int64_t *at = out == NULL ? NULL : (int64_t *)PyBytes_AS_STRING(out);
    if (out != NULL && same_cells(&a, &b)) {
        for (Py_ssize_t r = 0; r < a.n_rows; r++) at[r] = r;
    } else if (out != NULL) {
        if (!set_init(&set, b.n_rows)) {
            Py_CLEAR(out);
        } else if (!set_of_distinct(&set, &b)) {
            Py_CLEAR(out);
            PyErr_SetString(PyExc_ValueError, "join: the second column repeats a cell");
        } else {
            uint64_t ahead[AHEAD], mask = (uint64_t)(set.capacity - 1);
            for (Py_ssize_t r = 0; r < AHEAD && r < a.n_rows; r++) {
                ahead[r] = row_hash(&a, r);
                PREFETCH(set.slots + (ahead[r] & mask));
            }
            for (Py_ssize_t r = 0; r < a.n_rows; r++) {          /* with the fetching of set_of_distinct */
                Py_ssize_t length;
                const char *text = field(&a, r * a.width + a.column, &length);
                uint64_t h = ahead[r % AHEAD];
                if (r + AHEAD < a.n_rows) {
                    uint64_t next = row_hash(&a, r + AHEAD);
                    ahead[r % AHEAD] = next;
                    PREFETCH(set.slots + (next & mask));
                }
                at[r] = set.slots[set_slot(&set, &b, text, length, h)].row;
            }
        }
    }
    if (out == NULL && !PyErr_Occurred()) PyErr_NoMemory();
    set_free(&set);
    release_cells(&b);
    release_cells(&a);
    return out;
}

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define MAX_FAST_DIGITS 19         /* digits (leading zeros too) a uint64 mantissa always holds */
#define MAX_EXACT (1ULL << 53)       /* a mantissa up to this is an exact double */
#define EXPONENT_CAP 100000000       /* any larger decimal exponent is the slow path's anyway */

enum { NOT_A_NUMBER = 0, DONE = 1, SLOW = 2 };


/* One cell: DONE with *value, SLOW when the text (*text, *length: stripped) is in the grammar but
 * needs the correctly rounded conversion, NOT_A_NUMBER otherwise. Fast: at most 19 digits, whose
 * integer (the point dropped) is at most 2^53, times or divided by an exact power of ten up to 10^22
 * (Clinger: one correctly rounded operation on two exact doubles); or every digit zero. */
static int parse_fast(const char **text, Py_ssize_t *length, double *value) {
    const char *p = *text, *end = p + *length;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    *text = p;
    *length = end - p;
    int negative = 0;
    if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
    uint64_t mantissa = 0;                    /* (wraps past 19 digits: then unused) */
    const char *first = p;
    for (; p < end && is_digit(*p); p++) mantissa = mantissa * 10 + (uint64_t)(*p - '0');
    Py_ssize_t digits = p - first;
    int64_t scale = 0;                        /* the decimal exponent of the mantissa's last digit */
    if (p < end && *p == '.') {
        const char *point = ++p;
        for (; p < end && is_digit(*p); p++) mantissa = mantissa * 10 + (uint64_t)(*p - '0');
        digits += p - point;
        scale = -(int64_t)(p - point);
    }
    if (digits == 0) return NOT_A_NUMBER;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int exp_negative = 0;
        if (p < end && (*p == '+' || *p == '-')) exp_negative = *p++ == '-';
        if (p == end || !is_digit(*p)) return NOT_A_NUMBER;
        int64_t exponent = 0;
        for (; p < end && is_digit(*p); p++)
            if (exponent < EXPONENT_CAP) exponent = exponent * 10 + (*p - '0');
        scale += exp_negative ? -exponent : exponent;
    }
    if (p != end) return NOT_A_NUMBER;
    if (digits > MAX_FAST_DIGITS) return SLOW;
    if (mantissa == 0) {                      /* every digit zero: a signed zero, whatever the exponent */
        *value = negative ? -0.0 : 0.0;
        return DONE;
    }
    if (mantissa > MAX_EXACT || scale < -22 || scale > 22) return SLOW;
    double x = (double)mantissa;              /* exact */
    x = scale < 0 ? x / POW10[-scale] : x * POW10[scale];
    *value = negative ? -x : x;
    return DONE;
}

/* float() of a stripped cell in the grammar, with the GIL held: 0 when not finite (or refused). */
static int parse_slow(const char *text, Py_ssize_t length, double *value, char **copy, Py_ssize_t *room) {
    if (length + 1 > *room) {
        char *bigger = PyMem_Realloc(*copy, (size_t)length + 1);
        if (bigger == NULL) return -1;
        *copy = bigger;
        *room = length + 1;
    }
    memcpy(*copy, text, (size_t)length);
    (*copy)[length] = '\0';
    char *end = NULL;
    double x = PyOS_string_to_double(*copy, &end, NULL);
    if (x == -1.0 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_ValueError)) return -1;
        PyErr_Clear();
        return 0;
    }
    if (end != *copy + length || !isfinite(x)) return 0;
    *value = x;
    return 1;
}

/* numbers(raw, starts, column, width, rows) -> bytearray | None; column may be a tuple of columns: then
 * the picked rows' cells of each, row by row (a C-order rows x columns array: one pass over the file,
 * where a pass per column streams it through the cache once per column). */
/* The floats of the picked rows (rows: None or an int64 array) of columns[0..k-1] of c, row by row, as a
 * bytearray; None when a cell is not a finite ASCII decimal number; NULL on an error. Releases c and
 * columns. */
static PyObject *convert(Cells *cp, Py_ssize_t *columns, Py_ssize_t k, PyObject *rows_arg) {
    Cells c = *cp;
    Py_buffer rows;
    int picked = rows_arg != Py_None;
    if (picked) {
        if (PyObject_GetBuffer(rows_arg, &rows, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            PyMem_Free(columns);
            release_cells(&c);
            return NULL;
        }
        const char *format = rows.format ? rows.format : "B";
        if (format[0] == '<' || format[0] == '=' || format[0] == '@') format++;
        if (rows.itemsize != 8 || (format[0] != 'q' && format[0] != 'l') || format[1] != '\0') {
            PyErr_SetString(PyExc_TypeError, "rows: expected None or an int64 array");
            PyBuffer_Release(&rows);
            PyMem_Free(columns);
            release_cells(&c);
            return NULL;
        }
    }
    Py_ssize_t count = picked ? rows.len / 8 : c.n_rows;
    const int64_t *at = picked ? rows.buf : NULL;
    PyObject *out = count > PY_SSIZE_T_MAX / 8 / (k ? k : 1) ? PyErr_NoMemory()
                    : PyByteArray_FromStringAndSize(NULL, count * k * 8);
    char *copy = NULL;
    Py_ssize_t room = 0;
    int status = out == NULL ? -1 : 1;          /* 1 every cell a finite number, 0 not, -1 an error */
    if (out != NULL) {
        double *values = (double *)PyByteArray_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < count; i++) {
            int64_t r = picked ? at[i] : i;
            if (r < 0 || r >= c.n_rows) {
                Py_BLOCK_THREADS
                PyErr_SetString(PyExc_IndexError, "rows: a row index out of range");
                Py_UNBLOCK_THREADS
                status = -1;
                break;
            }
            for (Py_ssize_t j = 0; j < k; j++) {
                Py_ssize_t length;
                double *value = &values[i * k + j];
                const char *text = field(&c, r * c.width + columns[j], &length);
                int kind = parse_fast(&text, &length, value);
                if (kind == SLOW) {
                    Py_BLOCK_THREADS
                    kind = parse_slow(text, length, value, &copy, &room);
                    Py_UNBLOCK_THREADS
                    if (kind < 0) {
                        status = -1;
                        break;
                    }
                }
                if (kind == NOT_A_NUMBER) {
                    status = 0;
                    break;
                }
            }
            if (status != 1) break;
        }
        Py_END_ALLOW_THREADS
    }
    PyMem_Free(copy);
    PyMem_Free(columns);
    if (picked) PyBuffer_Release(&rows);
    release_cells(&c);
    if (status == 1) return out;
    Py_XDECREF(out);
    if (status < 0) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *numbers(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (!expect_args(nargs, 5)) return NULL;
    int block = PyTuple_Check(args[2]);
    Cells c;
    if (!get_cells(args, &c, !block)) return NULL;
    Py_ssize_t k = block ? PyTuple_GET_SIZE(args[2]) : 1;
    Py_ssize_t *columns = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(k ? k : 1));
    if (columns == NULL) {
        release_cells(&c);
        return PyErr_NoMemory();
    }
    columns[0] = c.column;
    for (Py_ssize_t j = 0; block && j < k; j++) {
        columns[j] = PyLong_AsSsize_t(PyTuple_GET_ITEM(args[2], j));
        if (columns[j] == -1 && PyErr_Occurred()) break;
        if (columns[j] < 0 || columns[j] >= c.width) {
            PyErr_SetString(PyExc_ValueError, "columns: expected 0 <= column < width");
            break;
        }
    }
    if (PyErr_Occurred()) {
        PyMem_Free(columns);
        release_cells(&c);
        return NULL;
    }
    return convert(&c, columns, k, args[4]);
}

/* text_numbers(data, offsets, rows): numbers() of the cells of a pyarrow string array without nulls (its
 * value bytes, and its own len + 1 int32 offsets, checked increasing and within data); rows as there. */
static PyObject *text_numbers(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (!expect_args(nargs, 3)) return NULL;
    Cells c;
    c.arrow = 1;
    c.column = 0;
    c.width = 1;
    if (PyObject_GetBuffer(args[0], &c.raw, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(args[1], &c.starts, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&c.raw);
        return NULL;
    }
    int ok = arrow_offsets_ok(&c);
    Py_ssize_t *columns = ok ? PyMem_Malloc(sizeof(Py_ssize_t)) : NULL;
    if (columns == NULL) {
        if (ok) PyErr_NoMemory();
        else PyErr_SetString(PyExc_ValueError, "offsets: expected increasing int32 offsets within data");
        release_cells(&c);
        return NULL;
    }
    columns[0] = 0;
    return convert(&c, columns, 1, args[2]);
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL,
     "scan(raw, begin, width): the uint32 start offset of every field of the data lines from byte begin "
     "plus a sentinel, as bytes; None where readers._split_csv declines"},
    {"strings", (PyCFunction)(void (*)(void))strings, METH_FASTCALL,
     "strings(raw, starts, column, width): the column's cells as str"},
    {"encode", (PyCFunction)(void (*)(void))encode, METH_FASTCALL,
     "encode(raw, starts, column, width): (each cell's int32 code as bytes, the distinct cells as str in order "
     "of first appearance)"},
    {"numbers", (PyCFunction)(void (*)(void))numbers, METH_FASTCALL,
     "numbers(raw, starts, column, width, rows): float64 of the picked cells (rows: None for all, or int64 "
     "indices; column: one, or a tuple of columns, row by row) as a bytearray; None when a cell is not a "
     "finite ASCII decimal number"},
    {"plain_ids", (PyCFunction)(void (*)(void))plain_ids, METH_FASTCALL,
     "plain_ids(raw, starts, column, width): whether every cell is a plain ASCII id and all are distinct"},
    {"same", (PyCFunction)(void (*)(void))same, METH_FASTCALL,
     "same(a_raw, a_starts, a_column, a_width, b_raw, b_starts, b_column, b_width): the same cells in the same order"},
    {"join", (PyCFunction)(void (*)(void))join, METH_FASTCALL,
     "join(a_raw, a_starts, a_column, a_width, b_raw, b_starts, b_column, b_width): each a cell's row in b "
     "(int64 bytes, -1 absent)"},
    {"text_numbers", (PyCFunction)(void (*)(void))text_numbers, METH_FASTCALL,
     "text_numbers(data, offsets, rows): numbers() of a pyarrow string array's cells (its value bytes and int32 "
     "offsets)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_csvscan",
                                    "Compiled CSV field scanner (see _csvscan.c).", -1, methods};

PyMODINIT_FUNC PyInit__csvscan(void) { return PyModule_Create(&module); }
