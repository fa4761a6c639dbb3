/*
 * CHDF5: libhdf5 as Swift sees it, found by pkg-config as `hdf5` (Debian 12's libhdf5-dev
 * 1.10.8: the `hdf5.pc` alternative, which points at `hdf5-serial.pc`; Homebrew's hdf5 formula:
 * its own `hdf5.pc`). Compiles against the 1.10 and 1.14 headers (checked); 2.x by construction.
 *
 * Swift cannot import the HDF5 macros that expand to function calls or casts
 * (`H5P_DEFAULT`, `H5F_ACC_RDONLY`, `H5T_NATIVE_FLOAT`, `H5S_ALL`, ...), so each one the
 * `HDF5` module needs is exposed here as a tiny `static inline` function, and so is each call
 * whose name or argument types changed between HDF5 versions (see the MARK below).
 * Nothing else lives in this header: every check is made in Swift.
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

/* MARK: - Calls whose name or types depend on the HDF5 version
 *
 * From 1.12 on, H5Literate, H5Lget_info, H5Oget_info and (2.0) H5Dread_chunk are macros that
 * name a numbered function chosen by the API version in force (`H5Literate_vers`, ...), and
 * H5L_info_t / H5O_info_t are macros too; Swift imports none of them. Each wrapper below calls
 * the name the C preprocessor resolves, or branches on the `_vers` macro where the arguments
 * differ, so the same Swift code compiles against 1.10 (Debian 12) and 1.14 (Homebrew, Debian
 * 13) headers without deprecated API. The Swift side still checks every return value. */

/* What a link is: `.type` and, for soft and external links, `.u.val_size`. */
typedef H5L_info_t chdf5_link_info;
/* H5Literate's callback (H5L_iterate_t), with the link info type above. */
typedef herr_t (*chdf5_link_visitor)(hid_t group, const char *name, const chdf5_link_info *info, void *context);

static inline herr_t chdf5_literate(hid_t group, H5_index_t index, H5_iter_order_t order, hsize_t *position,
                                    chdf5_link_visitor visit, void *context) {
    return H5Literate(group, index, order, position, visit, context);
}

static inline herr_t chdf5_lget_info(hid_t location, const char *name, chdf5_link_info *info, hid_t lapl) {
    return H5Lget_info(location, name, info, lapl);
}

/* An object's file number and header address (its identity within an open file). */
static inline herr_t chdf5_object_identity(hid_t object, unsigned long *fileno, haddr_t *address) {
#if defined(H5Oget_info_vers) && H5Oget_info_vers >= 3
    H5O_info2_t info;
    if (H5Oget_info3(object, &info, H5O_INFO_BASIC) < 0) return -1;
    *fileno = info.fileno;
    return H5VLnative_token_to_addr(object, info.token, address);
#else
    H5O_info_t info;
    if (H5Oget_info2(object, &info, H5O_INFO_BASIC) < 0) return -1;
    *fileno = info.fileno;
    *address = info.addr;
    return 0;
#endif
}

/* One stored chunk as its raw (still filtered) bytes; `size` is the buffer's size in bytes. */
static inline herr_t chdf5_read_chunk(hid_t dataset, hid_t dxpl, const hsize_t *offset, uint32_t *filters, void *buffer,
                                      size_t size) {
#if defined(H5Dread_chunk_vers) && H5Dread_chunk_vers >= 2
    return H5Dread_chunk(dataset, dxpl, offset, filters, buffer, &size);
#else
    (void)size;
    return H5Dread_chunk(dataset, dxpl, offset, filters, buffer);
#endif
}

/* Frees what a variable-length read allocated (H5Dvlen_reclaim, deprecated from 1.12 on). */
static inline herr_t chdf5_vlen_reclaim(hid_t type, hid_t space, hid_t dxpl, void *buffer) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type, space, dxpl, buffer);
#else
    return H5Dvlen_reclaim(type, space, dxpl, buffer);
#endif
}

/* MARK: - zlib (HDF5's gzip filter), to measure what a compressed chunk inflates to */

static inline int chdf5_inflate_init(z_stream *stream) { return inflateInit(stream); }

#endif /* CHDF5_SHIM_H */
