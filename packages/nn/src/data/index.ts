export { type Dataset, type Sample, TensorDataset } from "./dataset";
export { DataLoader, type DataLoaderOptions } from "./loader";
