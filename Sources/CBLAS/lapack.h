#pragma once
// LAPACK's symmetric eigensolver (divide and conquer) as exported by OpenBLAS (Fortran calling convention:
// every argument by pointer, column-major storage). Declared here because Debian's OpenBLAS ships no lapack.h.
// jobz 'V': eigenvalues and eigenvectors; uplo 'U' or 'L'; on return `w` holds eigenvalues ascending and `a`
// the eigenvectors as columns. Query optimal work sizes with lwork = liwork = -1.
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info);

// The generalised symmetric-definite eigenproblem (divide and conquer): itype 1 solves A x = lambda B x with
// A symmetric and B symmetric positive definite. On return `w` holds the eigenvalues ascending and `a` the
// eigenvectors as columns, normalised so that x^T B x = 1; `b` holds the Cholesky factor of B. info > n
// means B is not positive definite.
void ssygvd_(const int *itype, const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *b, const int *ldb, float *w, float *work, const int *lwork, int *iwork, const int *liwork,
             int *info);
