// The few MPI calls saestore makes, reached through dlopen() at run time so that the package
// builds (and a plain `saestore train` runs) without Open MPI installed. No mpi.h is included:
// the prototypes below follow Open MPI's ABI (libmpi.so.40, Debian's libopenmpi3), where
// MPI_Comm, MPI_Datatype and MPI_Op are pointers and the predefined handles (MPI_COMM_WORLD,
// MPI_FLOAT, MPI_SUM, ...) are the addresses of global objects in libmpi (mpi.h:
// `#define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)`).
// Every function returns 0 or an MPI error code; SAEMPI_NOT_LOADED before saempi_load.
#ifndef CMPISHIM_H
#define CMPISHIM_H

#include <stddef.h>
#include <stdint.h>

#define SAEMPI_NOT_LOADED (-1000)

/// dlopen()s libmpi (RTLD_GLOBAL: Open MPI's plugins resolve symbols from it) and looks up
/// every function and handle. 0 on success; otherwise -1 and a message in `message`.
int saempi_load(char *message, size_t messageCapacity);

/// MPI_Init_thread(FUNNELED) unless MPI is already initialised, then sets MPI_ERRORS_RETURN
/// on MPI_COMM_WORLD so failures come back as codes, and reports rank and size.
int saempi_init(int *rank, int *size);

/// In-place MPI_Allreduce(MPI_SUM) over MPI_COMM_WORLD; counts beyond INT_MAX are sent in parts.
int saempi_allreduce_sum_float(float *values, int64_t count);
int saempi_allreduce_sum_double(double *values, int64_t count);

/// MPI_Bcast of raw bytes from `root`.
int saempi_bcast_bytes(void *bytes, int64_t count, int root);

int saempi_barrier(void);
void saempi_abort(int code);
int saempi_finalize(void);

/// MPI_Error_string into `out` (always NUL-terminated).
void saempi_error_string(int code, char *out, int capacity);

#endif
