#include "CMPIShim.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Open MPI's handle types are pointers to opaque structs; void * has the same representation.
typedef void *Comm;
typedef void *Datatype;
typedef void *Op;
typedef void *Errhandler;

#define OMPI_MPI_THREAD_FUNNELED 1
#define OMPI_MPI_IN_PLACE ((void *)1)

static struct {
    int loaded;
    int (*init_thread)(int *, char ***, int, int *);
    int (*initialized)(int *);
    int (*finalized)(int *);
    int (*comm_rank)(Comm, int *);
    int (*comm_size)(Comm, int *);
    int (*comm_set_errhandler)(Comm, Errhandler);
    int (*allreduce)(const void *, void *, int, Datatype, Op, Comm);
    int (*bcast)(void *, int, Datatype, int, Comm);
    int (*barrier)(Comm);
    int (*abort_)(Comm, int);
    int (*finalize)(void);
    int (*error_string)(int, char *, int *);
    Comm world;
    Datatype type_float, type_double, type_byte;
    Op op_sum;
    Errhandler errors_return;
} mpi;

static void *lookup(void *library, const char *name, char *message, size_t capacity, int *failed) {
    void *symbol = dlsym(library, name);
    if (!symbol && !*failed) {
        snprintf(message, capacity, "libmpi has no symbol %s (saestore expects Open MPI's ABI, libmpi.so.40)", name);
        *failed = 1;
    }
    return symbol;
}

int saempi_load(char *message, size_t capacity) {
    if (mpi.loaded) return 0;
    // SAESTORE_LIBMPI names another libmpi (an Open MPI 4/5 build outside the loader's path).
    const char *chosen = getenv("SAESTORE_LIBMPI");
    const char *names[] = {chosen && *chosen ? chosen : "libmpi.so.40", "libmpi.so"};
    size_t nameCount = chosen && *chosen ? 1 : 2;
    void *library = NULL;
    char first[512] = "";
    for (size_t i = 0; i < nameCount && !library; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
        if (!library && i == 0) snprintf(first, sizeof first, "%s", dlerror());
    }
    if (!library) {
        snprintf(message, capacity, "cannot load %s (%s); install Open MPI (Debian: apt-get install openmpi-bin)", names[0], first);
        return -1;
    }
    int failed = 0;
#define FN(field, name) *(void **)&mpi.field = lookup(library, name, message, capacity, &failed)
    FN(init_thread, "MPI_Init_thread");
    FN(initialized, "MPI_Initialized");
    FN(finalized, "MPI_Finalized");
    FN(comm_rank, "MPI_Comm_rank");
    FN(comm_size, "MPI_Comm_size");
    FN(comm_set_errhandler, "MPI_Comm_set_errhandler");
    FN(allreduce, "MPI_Allreduce");
    FN(bcast, "MPI_Bcast");
    FN(barrier, "MPI_Barrier");
    FN(abort_, "MPI_Abort");
    FN(finalize, "MPI_Finalize");
    FN(error_string, "MPI_Error_string");
#undef FN
    mpi.world = lookup(library, "ompi_mpi_comm_world", message, capacity, &failed);
    mpi.type_float = lookup(library, "ompi_mpi_float", message, capacity, &failed);
    mpi.type_double = lookup(library, "ompi_mpi_double", message, capacity, &failed);
    mpi.type_byte = lookup(library, "ompi_mpi_byte", message, capacity, &failed);
    mpi.op_sum = lookup(library, "ompi_mpi_op_sum", message, capacity, &failed);
    mpi.errors_return = lookup(library, "ompi_mpi_errors_return", message, capacity, &failed);
    if (failed) return -1;
    mpi.loaded = 1;
    return 0;
}

int saempi_init(int *rank, int *size) {
    if (!mpi.loaded) return SAEMPI_NOT_LOADED;
    int done = 0, code = mpi.initialized(&done);
    if (code) return code;
    if (!done) {
        int provided = 0;
        code = mpi.init_thread(NULL, NULL, OMPI_MPI_THREAD_FUNNELED, &provided);
        if (code) return code;
    }
    if ((code = mpi.comm_set_errhandler(mpi.world, mpi.errors_return))) return code;
    if ((code = mpi.comm_rank(mpi.world, rank))) return code;
    return mpi.comm_size(mpi.world, size);
}

static int allreduce_parts(char *values, int64_t count, size_t width, Datatype type) {
    if (!mpi.loaded) return SAEMPI_NOT_LOADED;
    while (count > 0) {
        int part = count > INT_MAX ? INT_MAX : (int)count;
        int code = mpi.allreduce(OMPI_MPI_IN_PLACE, values, part, type, mpi.op_sum, mpi.world);
        if (code) return code;
        values += (size_t)part * width;
        count -= part;
    }
    return 0;
}

int saempi_allreduce_sum_float(float *values, int64_t count) {
    return allreduce_parts((char *)values, count, sizeof(float), mpi.type_float);
}

int saempi_allreduce_sum_double(double *values, int64_t count) {
    return allreduce_parts((char *)values, count, sizeof(double), mpi.type_double);
}

int saempi_bcast_bytes(void *bytes, int64_t count, int root) {
    if (!mpi.loaded) return SAEMPI_NOT_LOADED;
    char *p = bytes;
    while (count > 0) {
        int part = count > INT_MAX ? INT_MAX : (int)count;
        int code = mpi.bcast(p, part, mpi.type_byte, root, mpi.world);
        if (code) return code;
        p += part;
        count -= part;
    }
    return 0;
}

int saempi_barrier(void) {
    return mpi.loaded ? mpi.barrier(mpi.world) : SAEMPI_NOT_LOADED;
}

void saempi_abort(int code) {
    if (mpi.loaded) mpi.abort_(mpi.world, code);
}

int saempi_finalize(void) {
    if (!mpi.loaded) return SAEMPI_NOT_LOADED;
    int done = 0;
    mpi.finalized(&done);
    return done ? 0 : mpi.finalize();
}

void saempi_error_string(int code, char *out, int capacity) {
    if (capacity <= 0) return;
    out[0] = 0;
    if (code == SAEMPI_NOT_LOADED) {
        snprintf(out, capacity, "libmpi is not loaded");
        return;
    }
    if (!mpi.loaded) return;
    // MPI_Error_string writes up to MPI_MAX_ERROR_STRING (256 in Open MPI) bytes.
    char buffer[1024];
    int length = 0;
    if (mpi.error_string(code, buffer, &length) != 0) length = 0;
    buffer[length < (int)sizeof buffer ? length : (int)sizeof buffer - 1] = 0;
    snprintf(out, capacity, "%s", buffer);
}
