#pragma once
#include <cblas.h>
#include "lapack.h"
