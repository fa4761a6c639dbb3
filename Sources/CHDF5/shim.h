/*
 * CHDF5: libhdf5 (Debian's libhdf5-dev 1.10.8, `hdf5-serial`) as Swift sees it.
 *
 * Swift cannot import the HDF5 macros that expand to function calls or casts
 * (`H5P_DEFAULT`, `H5F_ACC_RDONLY`, `H5T_NATIVE_FLOAT`, `H5S_ALL`, ...), so each one the
 * `HDF5` module needs is exposed here as a tiny `static inline` function.
 * Nothing else lives in this header: every call and every check is made in Swift.
 */
#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H

#include <hdf5.h>
#include <zlib.h>

/* MARK: - Default and "all" identifiers */

static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
static inline hid_t chdf5_e_default(void) { return H5E_DEFAULT; }

/* MARK: - File access flags */

static inline unsigned chdf5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_f_acc_trunc(void) { return H5F_ACC_TRUNC; }

/* MARK: - Property list classes */

static inline hid_t chdf5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }

/* MARK: - Memory (native) types */

static inline hid_t chdf5_t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t chdf5_t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t chdf5_t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t chdf5_t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t chdf5_t_native_uint64(void) { return H5T_NATIVE_UINT64; }

/* MARK: - File (standard, little-endian) types, as Keras and h5py write them */

static inline hid_t chdf5_t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_t_std_i8le(void) { return H5T_STD_I8LE; }
static inline hid_t chdf5_t_std_i16le(void) { return H5T_STD_I16LE; }
static inline hid_t chdf5_t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t chdf5_t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t chdf5_t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t chdf5_t_std_u16le(void) { return H5T_STD_U16LE; }
static inline hid_t chdf5_t_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t chdf5_t_std_u64le(void) { return H5T_STD_U64LE; }

/* MARK: - Strings */

/* The C string type; copy it with H5Tcopy before changing its size or character set. */
static inline hid_t chdf5_t_c_s1(void) { return H5T_C_S1; }
/* The size that makes a string type variable-length. */
static inline size_t chdf5_t_variable(void) { return H5T_VARIABLE; }

/* MARK: - zlib (HDF5's gzip filter), to measure what a compressed chunk inflates to */

static inline int chdf5_inflate_init(z_stream *stream) { return inflateInit(stream); }

#endif /* CHDF5_SHIM_H */
