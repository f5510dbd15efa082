/// Sparse autoencoders trained from the store.
public enum StreamTrain {}
