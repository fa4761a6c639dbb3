/*
 * rnncheck's tile kernel (Sources/CRNNKernels/rnn_kernels.h, weights packed once) against
 * OpenBLAS sgemm / sgemv (which packs on every call) on the products the issue-5 shapes make,
 * one thread each. This is the measurement behind "no BLAS dependency" in docs/performance.md.
 *
 *   apt-get install libopenblas-dev   # only for this comparison; rnncheck does not link it
 *   sh run.sh
 */
#include "rnn_kernels.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
/* own: C[M x N] = A[M x K] @ Bpacked (panels of 64 columns), tiles of 6 rows x 64 */
static void own(int isa,int M,int K,int N,const float*A,const float*Bp,float*C){
  int panels=N/64; int MB=256; /* rows per block: the engine projects a time block at a time */
  for(int m0=0;m0<M;m0+=MB){ int m1=m0+MB<M?m0+MB:M;
  for(int p=0;p<panels;p++){ const float*bp=Bp+(long)p*K*64;
    for(int r=m0;r<m1;r+=6){int mr=m1-r<6?m1-r:6; rk_tile(isa,mr,4,A+(long)r*K,K,bp,64,16,K,C+(long)r*N+p*64,N);} } }
}
int main(int argc,char**argv){
  openblas_set_num_threads(1);
  int shapes[][3]={{3200,128,1024},{12800,256,2048},{32,256,1024},{64,512,2048},{100,64,512},{1,128,512}};
  const char*names[]={"S2 projection","S3 projection","S2 step product","S3 step product","S1 projection","S1 step (B=1)"};
  int isa=rk_cpu_isa();
  for(int s=0;s<6;s++){
    int M=shapes[s][0],K=shapes[s][1],N=shapes[s][2];
    float*A=aligned_alloc(64,4L*M*K),*B=aligned_alloc(64,4L*K*N),*Bp=aligned_alloc(64,4L*K*N),*C=aligned_alloc(64,4L*M*N),*C2=aligned_alloc(64,4L*M*N);
    for(long i=0;i<(long)M*K;i++)A[i]=(i%17)*0.01f; for(long i=0;i<(long)K*N;i++)B[i]=(i%13)*0.001f;
    for(int p=0;p<N/64;p++)for(int k=0;k<K;k++)for(int j=0;j<64;j++)Bp[((long)p*K+k)*64+j]=B[(long)k*N+p*64+j];
    int reps = M*(long)K*N > 100000000 ? 5 : 200;
    double tb=1e9,to=1e9,tv=1e9;
    for(int r=0;r<reps;r++){
      double t0=now(); cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,M,N,K,1,A,K,B,N,0,C,N); double t1=now();
      own(isa,M,K,N,A,Bp,C2); double t2=now();
      if(M==1){ cblas_sgemv(CblasRowMajor,CblasTrans,K,N,1,B,N,A,1,0,C,1);} double t3=now();
      if(t1-t0<tb)tb=t1-t0; if(t2-t1<to)to=t2-t1; if(t3-t2<tv)tv=t3-t2;
    }
    double fl=2.0*M*K*N;
    printf("%-16s M=%5d K=%4d N=%5d  OpenBLAS sgemm %9.1f us (%5.1f GFLOP/s)  own packed tiles %9.1f us (%5.1f GFLOP/s)", names[s],M,K,N,tb*1e6,fl/tb*1e-9,to*1e6,fl/to*1e-9);
    if(M==1) printf("  OpenBLAS sgemv %.2f us", tv*1e6);
    printf("\n");
  }
}
