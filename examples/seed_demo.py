"""Listing 6 of the book's recurrent-network chapter, run on seriespredictor.

Only the import and the final print differ from the chapter.
"""
from seriespredictor import SeriesPredictor

if __name__ == '__main__':
    predictor = SeriesPredictor(input_dim=1, seq_size=4, hidden_dim=10)
    train_x = [[[1], [2], [5], [6]],
               [[5], [7], [7], [8]],
               [[3], [4], [5], [7]]]
    train_y = [[1, 3, 7, 11],
               [5, 12, 14, 15],
               [3, 7, 9, 12]]
    predictor.train(train_x, train_y)
    test_x = [[[1], [2], [3], [4]],  # A
              [[4], [5], [6], [7]]]  # B
    actual_y = predictor.test(test_x)
    for got, expected in zip(actual_y, [[1, 3, 5, 7], [4, 9, 11, 13]]):
        print("predicted", " ".join(f"{v:6.2f}" for v in got), "  expected", expected)
