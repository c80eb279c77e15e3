#pragma once
// LAPACK's symmetric eigensolver (divide and conquer) as exported by OpenBLAS (Fortran calling convention:
// every argument by pointer, column-major storage). Declared here because Debian's OpenBLAS ships no lapack.h.
// jobz 'V': eigenvalues and eigenvectors; uplo 'U' or 'L'; on return `w` holds eigenvalues ascending and `a`
// the eigenvectors as columns. Query optimal work sizes with lwork = liwork = -1.
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info);
